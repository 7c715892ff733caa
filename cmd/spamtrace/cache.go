package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/spamtrace/spamtrace/rediscache"
	"github.com/spamtrace/spamtrace/trace"
)

// quietRedis drops go-redis's own log lines (failed dials): the cache
// says it was lost in one line of its own.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// applyCache puts the -cache Redis behind lk's DNS and netblock lookups.
// DNS questions then go through rediscache's TTL-aware client, to
// -dns-server or the system's name servers. The returned function closes
// the cache and, when it was lost during the run, says how many lookups
// went without it.
func (l *lookupFlags) applyCache(lk *trace.Lookups, w io.Writer) (func(), error) {
	if l.cache == "" || !l.resolve {
		return func() {}, nil
	}
	redis.SetLogger(quietRedis{})
	var mu sync.Mutex
	c, err := rediscache.Open(l.cache, &rediscache.Options{Warn: func(m string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, "spamtrace:", m)
	}})
	if err != nil {
		return nil, fmt.Errorf("-cache: %w", err)
	}
	var servers []string
	if l.dnsServer != "" {
		servers = []string{dnsServerAddr(l.dnsServer)}
	}
	c.Apply(lk, &rediscache.DNSClient{Servers: servers})
	return func() {
		if st := c.Stats(); st.Lost > 0 {
			mu.Lock()
			fmt.Fprintf(w, "spamtrace: cache %s was lost during the run (%d times): %d lookups went without it, %d were answered by it\n", c.URL(), st.Lost, st.Bypassed, st.Hits)
			mu.Unlock()
		}
		c.Close()
	}, nil
}

// checkCacheURL accepts a redis:// or rediss:// URL.
func checkCacheURL(s string) error {
	c, err := rediscache.Open(s, nil)
	if err != nil {
		return err
	}
	return c.Close()
}
