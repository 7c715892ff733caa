package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures a Cache. The zero value works; each field says its
// default.
type Options struct {
	// Prefix starts every key. Empty means "spamtrace:".
	Prefix string

	// Timeout caps one Redis round trip (a new connection gets twice
	// that); a slower answer is a failure, and three failures in a row
	// lose the cache. Zero means 1 second.
	Timeout time.Duration

	// LockTTL is how long a lock on a question lives: the time its holder
	// has to ask the source. Zero means 15 seconds.
	LockTTL time.Duration

	// Wait caps how long a process waits for another process's answer
	// before asking the source itself (it also waits at most half the
	// time its question has left). Zero means 10 seconds.
	Wait time.Duration

	// RetryAfter is how long lookups go without the cache after Redis
	// failed before it is tried again. Zero means 5 seconds.
	RetryAfter time.Duration

	// NetblockTTL is how long a netblock is kept. Zero means 24 hours.
	NetblockTTL time.Duration

	// NetblockNegativeTTL is how long "no registry has a network for this
	// address" is kept. Zero means 1 hour.
	NetblockNegativeTTL time.Duration

	// MaxDNSTTL caps the time a DNS answer is kept, whatever its TTL.
	// Zero means 24 hours.
	MaxDNSTTL time.Duration

	// Warn is told, in one line, the first time the cache is lost (Redis
	// down, slow or refusing) and the first time it is back; later losses
	// are only counted (Stats.Lost). Nil means silence.
	Warn func(msg string)
}

// Stats counts what the cache did.
type Stats struct {
	Hits     int64 // answers read from Redis
	Waited   int64 // of which another process was asking while we waited
	Asked    int64 // questions sent to the source after a miss (and stored)
	Bypassed int64 // questions sent to the source without the cache (Redis lost)
	Lost     int64 // times the cache was lost
	Stored   int64 // answers written to Redis
}

// Cache is a connection to the shared cache. Create it with Open.
type Cache struct {
	rdb  *redis.Client
	url  string // for messages, without a password
	opt  Options
	name string // the process's lock token prefix

	hits, waited, asked, bypassed, lost, stored atomic.Int64

	mu        sync.Mutex
	fails     int // Redis failures in a row
	toldLost  bool
	toldBack  bool
	down      bool
	retryAt   time.Time
	probing   bool
	lastError error
}

// Open parses a redis:// (or rediss://) URL, "redis://HOST:PORT/DB", and
// returns a Cache on it. It does no I/O: a Redis that is down when the run
// starts is reported on first use, like one that goes down later.
func Open(rawURL string, opt *Options) (*Cache, error) {
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("rediscache: %w", err)
	}
	c := &Cache{}
	if opt != nil {
		c.opt = *opt
	}
	if c.opt.Prefix == "" {
		c.opt.Prefix = "spamtrace:"
	}
	if c.opt.Timeout <= 0 {
		c.opt.Timeout = time.Second
	}
	if c.opt.LockTTL <= 0 {
		c.opt.LockTTL = 15 * time.Second
	}
	if c.opt.Wait <= 0 {
		c.opt.Wait = 10 * time.Second
	}
	if c.opt.RetryAfter <= 0 {
		c.opt.RetryAfter = 5 * time.Second
	}
	if c.opt.NetblockTTL <= 0 {
		c.opt.NetblockTTL = 24 * time.Hour
	}
	if c.opt.NetblockNegativeTTL <= 0 {
		c.opt.NetblockNegativeTTL = time.Hour
	}
	if c.opt.MaxDNSTTL <= 0 {
		c.opt.MaxDNSTTL = 24 * time.Hour
	}
	q := url.Values{}
	if u, err := url.Parse(rawURL); err == nil {
		q = u.Query()
		u.User = nil
		c.url = u.Redacted()
	}
	// Fail fast: a cache that answers late is worse than none.
	if !q.Has("dial_timeout") {
		ro.DialTimeout = 2 * c.opt.Timeout
	}
	if !q.Has("read_timeout") {
		ro.ReadTimeout = c.opt.Timeout
	}
	if !q.Has("write_timeout") {
		ro.WriteTimeout = c.opt.Timeout
	}
	if !q.Has("max_retries") {
		ro.MaxRetries = -1
	}
	if !q.Has("pool_size") {
		ro.PoolSize = 256 // a bulk run's questions in flight, and their waiters
	}
	if !q.Has("pool_timeout") {
		ro.PoolTimeout = c.opt.Timeout
	}
	ro.ContextTimeoutEnabled = true
	c.rdb = redis.NewClient(ro)
	var b [6]byte
	rand.Read(b[:])
	c.name = hex.EncodeToString(b[:])
	return c, nil
}

// URL returns the cache's URL without its password.
func (c *Cache) URL() string { return c.url }

// Client returns the underlying go-redis client.
func (c *Cache) Client() *redis.Client { return c.rdb }

// Close closes the connections.
func (c *Cache) Close() error { return c.rdb.Close() }

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Waited: c.waited.Load(), Asked: c.asked.Load(),
		Bypassed: c.bypassed.Load(), Lost: c.lost.Load(), Stored: c.stored.Load()}
}

// LostErr reports whether the cache is currently lost, and the last
// error that lost it.
func (c *Cache) LostErr() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down, c.lastError
}

func (c *Cache) warn(msg string) {
	if c.opt.Warn != nil {
		c.opt.Warn(msg)
	}
}

// usable reports whether to try Redis now. While the cache is lost it
// lets one caller through after RetryAfter, as a probe.
func (c *Cache) usable() (ok, probe bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.down {
		return true, false
	}
	if c.probing || time.Now().Before(c.retryAt) {
		return false, false
	}
	c.probing = true
	return true, true
}

// lossAfter is how many Redis failures in a row lose the cache.
const lossAfter = 3

// failed records a Redis failure; it reports false for redis.Nil, which is
// an answer (no such key), not a failure.
func (c *Cache) failed(err error, probe bool) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		c.mu.Lock()
		c.fails = 0
		c.mu.Unlock()
		if probe {
			c.mu.Lock()
			c.probing = false
			if c.down {
				c.down = false
				tell := !c.toldBack
				c.toldBack = true
				c.mu.Unlock()
				if tell {
					c.warn(fmt.Sprintf("cache %s is back", c.url))
				}
				return false
			}
			c.mu.Unlock()
		}
		return false
	}
	if errors.Is(err, redis.ErrPoolTimeout) {
		// Every connection busy: this process is asking faster than one
		// pool carries, which is no sign of Redis being gone. Go around
		// the cache for this question only.
		if probe {
			c.mu.Lock()
			c.probing = false
			c.mu.Unlock()
		}
		return true
	}
	c.mu.Lock()
	c.probing = false
	c.lastError = err
	c.fails++
	if c.fails < lossAfter && !probe && !c.down {
		// One slow answer on a loaded machine is not a lost Redis: go
		// around the cache for this question only.
		c.mu.Unlock()
		return true
	}
	c.retryAt = time.Now().Add(c.opt.RetryAfter)
	was := c.down
	c.down = true
	tell := !was && !c.toldLost
	c.toldLost = true
	c.mu.Unlock()
	if !was {
		c.lost.Add(1)
	}
	if tell {
		c.warn(fmt.Sprintf("cache %s lost (%v); lookups go on without it", c.url, err))
	}
	return true
}

// op runs one Redis round trip under Timeout.
func (c *Cache) op(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opt.Timeout)
	defer cancel()
	return fn(ctx)
}

// unlockScript deletes a lock only if it is still ours.
const unlockScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

// entry is one value to store.
type entry struct {
	key string
	val []byte
	ttl time.Duration
}

// question is one fetch: the keys that may hold its answer, the lock that
// guards asking, how to recognise an answer and how to ask.
type question struct {
	keys []string
	lock string
	// pick looks at the values of keys (nil for a missing key) and
	// reports whether one answers the question, keeping the answer.
	pick func(vals []any) bool
	// ask asks the source, keeps the answer and returns what to store.
	ask func(ctx context.Context) ([]entry, error)
}

// fetch answers q from Redis, or asks the source once across processes
// and stores the answer. The returned error is ask's: Redis errors only
// make it go around the cache.
func (c *Cache) fetch(ctx context.Context, q *question) error {
	ok, probe := c.usable()
	if !ok {
		c.bypassed.Add(1)
		_, err := q.ask(ctx)
		return err
	}
	vals, err := c.mget(ctx, q.keys)
	if c.failed(err, probe) {
		c.bypassed.Add(1)
		_, err := q.ask(ctx)
		return err
	}
	if q.pick(vals) {
		c.hits.Add(1)
		return nil
	}
	wait := c.opt.Wait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	deadline := time.Now().Add(wait)
	token := c.name + "-" + randToken()
	pause := 5 * time.Millisecond
	withLock := append(append([]string(nil), q.keys...), q.lock)
	for {
		var got bool
		err := c.op(ctx, func(ctx context.Context) error {
			var err error
			got, err = c.rdb.SetNX(ctx, q.lock, token, c.opt.LockTTL).Result()
			return err
		})
		if c.failed(err, false) {
			c.bypassed.Add(1)
			_, err := q.ask(ctx)
			return err
		}
		if got {
			// The answer may have been stored between our read and our
			// lock: look once more before asking.
			vals, err := c.mget(ctx, q.keys)
			if err == nil && q.pick(vals) {
				c.hits.Add(1)
				c.waited.Add(1)
				c.store(ctx, nil, q.lock, token)
				return nil
			}
			c.asked.Add(1)
			entries, err := q.ask(ctx)
			c.store(ctx, entries, q.lock, token)
			return err
		}
		// Someone else is asking: wait for the answer, or for the lock to go.
		for {
			if time.Now().After(deadline) || ctx.Err() != nil {
				c.asked.Add(1)
				entries, err := q.ask(ctx)
				c.store(ctx, entries, "", "")
				return err
			}
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			pause = min(pause*2, 50*time.Millisecond)
			vals, err := c.mget(ctx, withLock)
			if c.failed(err, false) {
				c.bypassed.Add(1)
				_, err := q.ask(ctx)
				return err
			}
			if q.pick(vals[:len(q.keys)]) {
				c.hits.Add(1)
				c.waited.Add(1)
				return nil
			}
			if vals[len(q.keys)] == nil {
				break // the holder gave up without an answer: try to take the lock
			}
		}
	}
}

func (c *Cache) mget(ctx context.Context, keys []string) ([]any, error) {
	var vals []any
	err := c.op(ctx, func(ctx context.Context) error {
		var err error
		vals, err = c.rdb.MGet(ctx, keys...).Result()
		return err
	})
	return vals, err
}

// store writes entries and releases the lock (when lock is not empty) in
// one round trip.
func (c *Cache) store(ctx context.Context, entries []entry, lock, token string) {
	if len(entries) == 0 && lock == "" {
		return
	}
	err := c.op(ctx, func(ctx context.Context) error {
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range entries {
				p.Set(ctx, e.key, e.val, e.ttl)
			}
			if lock != "" {
				p.Eval(ctx, unlockScript, []string{lock}, token)
			}
			return nil
		})
		return err
	})
	if !c.failed(err, false) {
		c.stored.Add(int64(len(entries)))
	}
}

func randToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
