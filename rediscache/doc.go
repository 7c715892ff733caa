// Package rediscache shares spamtrace's lookups between processes and
// machines through one Redis server: DNS answers (PTR, A, AAAA, TXT and
// the A questions of DNSBL zones) kept for their TTLs, negative answers
// for the SOA minimum, and netblock results kept by prefix.
//
// # Use
//
// Open a [Cache] on a redis:// URL, then put its wrappers behind a
// [trace.Lookups]:
//
//	c, err := rediscache.Open("redis://127.0.0.1:6379/0", nil)
//	...
//	c.Apply(lk, &rediscache.DNSClient{Servers: []string{"127.0.0.1:53"}})
//
// or use [Cache.DNS] and [Cache.Netblocks] one by one. The Lookups'
// own in-process memo stays in front: Redis is asked only about what
// this process has not asked yet.
//
// # TTLs
//
// The resolver interface trace uses (*net.Resolver's methods) does not
// expose TTLs, so the cache asks DNS through its own client
// ([DNSClient], on github.com/miekg/dns) whose [Answer] carries them. A
// positive answer is kept for the smallest TTL of its records, a negative
// one (NXDOMAIN, or no record of the type) for the SOA's TTL or its
// minimum field, whichever is smaller (RFC 2308 section 5); a negative
// answer without an SOA is not kept (RFC 2308 section 5 again). Every TTL
// is capped by [Options.MaxDNSTTL]. Failures (time-outs, SERVFAIL,
// REFUSED) are never kept.
//
// Netblocks are kept by the prefix the registry gave for Options.NetblockTTL
// (a day by default); an address no registry knows is kept for
// Options.NetblockNegativeTTL. Other registry errors are not kept.
//
// # One question, one asker
//
// Processes that miss on the same key at once race for a short lock
// (SET NX PX, [Options.LockTTL]); the winner asks the source and stores
// the answer, the others poll for the value for at most [Options.Wait]
// (or half the time their question has left) and then ask the source
// themselves. Netblock questions lock the address's /24 (IPv4) or /48
// (IPv6), the same bucket netblock.Client merges in flight.
//
// # Redis down or slow
//
// Every Redis round trip is capped by [Options.Timeout]. A failed one
// sends its question around the cache; three in a row mark the cache
// lost: lookups go straight to their sources, [Options.Warn]
// is told (the first time only), and the cache is tried again after
// [Options.RetryAfter] (told, the first time, that it is back). Nothing
// fails because the cache did.
//
// # Keys
//
// All keys start with [Options.Prefix] ("spamtrace:" by default):
// "dns:TYPE:name.", "nb:PREFIX", "nbx:ADDR" (not found) and "lock:..."
// for the locks. Values are JSON.
//
// A Cache and its wrappers are safe for concurrent use.
package rediscache
