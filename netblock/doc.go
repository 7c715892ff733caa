// Package netblock finds who owns an IP address and where to report abuse
// from it, the way abuse desks do by hand: ask the registry that holds the
// address, follow referrals from registry to registry, and take the
// network's registered abuse contact.
//
// # Sources
//
// [Client.Lookup] asks RDAP first (RFC 9082, RFC 9083): the IANA bootstrap
// registries (RFC 9224) are embedded (refreshed with `go generate`), the
// registries' redirects are followed, nested entities are walked for the
// "abuse" role's vCard e-mail, and an abuse entity without an e-mail is
// fetched once by its self link. Quirks of real servers are read: ARIN's
// zero-padded addresses ("074.125.000.000"), start addresses with a
// "/len" suffix, roles joined into one string ("technical, abuse").
//
// When RDAP gives no abuse contact, whois (RFC 3912) is asked through
// github.com/likexian/whois, with this package's own referral logic: the
// RIR from the bootstrap registry (or IANA), then any referral (ARIN's
// ReferralServer, IANA's refer:) to a registry or national registry (JPNIC,
// KRNIC, NIC.br, TWNIC …) with that registry's query syntax. The answers of
// ARIN (NetRange, CIDR, OrgAbuseEmail; the most specific of several
// networks), RIPE, AFRINIC and APNIC ("% Abuse contact for … is …",
// abuse-c, mnt-irt, abuse-mailbox), LACNIC and NIC.br (abuse-c → e-mail),
// JPNIC and KRNIC are read.
//
// # The abuse ladder
//
// [Netblock.Abuse] lists, best first, the registered abuse contacts (RDAP,
// then whois), then addresses found only in free-text remarks.
// [FallbackContacts] gives the next rung, abuse@ and postmaster@ the
// registered domain of a verified reverse DNS name (RFC 2142), for the
// caller to append: only the caller knows whether the name was verified.
// A rate-limit answer, "no abuse contact registered", an empty and a
// truncated answer are distinct errors ([ErrRateLimited],
// [ErrNoAbuseContact], [ErrEmptyAnswer], [ErrTruncated]), never a guess.
//
// # Safety and cost
//
// Referrals are followed only to the built-in list of registry whois hosts
// on port 43; RDAP only to https URLs on port 443 named by host (never an
// IP literal), from the bootstrap registry or a registry's redirect, and
// the dialer refuses loopback, private and special-purpose addresses.
// Answers, referral depth, redirects, time per query and per lookup are
// capped ([Client] fields). Results are cached by prefix, so one answer
// serves every address inside the network, up to [Client.MaxCached]
// entries (a long-running server's cache keeps the networks in use and
// does not grow past it); identical lookups in flight are
// merged; queries are bounded in number and spaced per registry.
//
// A Client is safe for concurrent use.
package netblock
