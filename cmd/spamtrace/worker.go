package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/trace"
)

// worker is one "spamtrace worker" process: it reads input entries from a
// stream with a consumer group, traces each and writes the JSON object to
// the results stream, acknowledging the input only after the write.
//
// Delivery is at least once: an entry is acknowledged in the same Lua
// script that writes its result, so it is never acknowledged without one.
// A worker that dies leaves its entries pending; after -claim-after any
// other worker takes them over with XAUTOCLAIM. The script writes a result
// only if the input id has none yet (a key per id, kept for seenTTL), so a
// message traced twice (a slow worker whose entry was reclaimed) still has
// exactly one result; the second is counted as a duplicate and dropped.
//
// An entry delivered more than -attempts times without being acknowledged
// (its consumers crashed or were killed), or whose trace panicked or ran
// past -timeout that many times, is moved to the dead-letter stream with
// the reason and acknowledged.
type worker struct {
	rdb        *redis.Client
	in, group  string
	out, dead  string
	consumer   string
	claimAfter time.Duration
	timeout    time.Duration
	attempts   int64
	exitIdle   time.Duration
	tracer     *trace.Tracer
	lookupJSON func([]byte, *trace.Lookup) []byte
	stderr     io.Writer

	traced, reclaimed, dups, deadN atomic.Int64
	lastWork                       atomic.Int64 // unix nanoseconds

	mu        sync.Mutex
	cursor    string // XAUTOCLAIM's
	down      bool   // Redis unreachable, said once
	stderrMu  sync.Mutex
	nextClaim time.Time
}

// seenTTL is how long a written result's id is remembered against
// duplicates. A second result for an id can only come from a worker that
// took the entry over while the first was still tracing it, within
// -claim-after plus -timeout of the first delivery: an hour, or four
// times that if longer, covers it.
func (w *worker) seenTTL() time.Duration {
	return max(time.Hour, 4*(w.claimAfter+w.timeout))
}

// resultScript writes a result unless the id has one, then acknowledges
// the input. KEYS: results stream, input stream, seen key, failures hash.
// ARGV: group, id, consumer, json, seen TTL in seconds. It returns 1 when
// the result was written, 0 for a duplicate. A failing XADD aborts the
// script before the XACK.
var resultScript = redis.NewScript(`
local fresh = redis.call('EXISTS', KEYS[3]) == 0
if fresh then
  redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'consumer', ARGV[3], 'json', ARGV[4])
  redis.call('SET', KEYS[3], '1', 'EX', ARGV[5])
end
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
if fresh then return 1 end
return 0`)

// deadScript moves an entry to the dead-letter stream and acknowledges it.
// KEYS: dead stream, input stream, failures hash. ARGV: group, id, then
// field/value pairs.
var deadScript = redis.NewScript(`
local kv = {}
for i = 3, #ARGV do kv[#kv+1] = ARGV[i] end
redis.call('XADD', KEYS[1], '*', unpack(kv))
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1`)

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	q := addQueueFlags(fs)
	var (
		group      = fs.String("group", "", "the consumer group (created at the stream's start if missing)")
		results    = fs.String("results", "", "the results stream (default IN:results)")
		dead       = fs.String("dead", "", "the dead-letter stream (default IN:dead)")
		consumer   = fs.String("consumer", "", "this worker's consumer name (default HOST-PID)")
		workers    = fs.Int("workers", runtime.NumCPU(), "messages traced at once (16 at least with -resolve)")
		claimAfter = fs.Duration("claim-after", 2*time.Minute, "take over a consumer's entry once it has been pending this long (XAUTOCLAIM); must exceed -timeout")
		timeout    = fs.Duration("timeout", time.Minute, "a trace running longer counts as a failed attempt")
		attempts   = fs.Int("attempts", 2, "failed attempts (crash, kill, panic, time-out) before an entry goes to the dead-letter stream")
		exitIdle   = fs.Duration("exit-idle", 0, "exit once the stream has had nothing new or pending for this long (0: run until SIGTERM)")
	)
	tf := addTracerFlags(fs)
	lookups := tf.lookups
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			workerUsage(fs, stdout)
			return 0
		}
		fmt.Fprintln(stderr, "spamtrace worker:", err)
		workerUsage(fs, stderr)
		return 2
	}
	usageErr := func(err error) int {
		fmt.Fprintln(stderr, "spamtrace worker:", err)
		workerUsage(fs, stderr)
		return 2
	}
	rdb, err := q.client()
	switch {
	case err != nil:
		return usageErr(err)
	case *group == "":
		return usageErr(errors.New("-group NAME is required"))
	case fs.NArg() > 0:
		return usageErr(fmt.Errorf("unexpected arguments %q: the worker reads its messages from -stream", fs.Args()))
	case *claimAfter <= *timeout:
		return usageErr(fmt.Errorf("-claim-after %v must exceed -timeout %v, or a slow message is taken over while it is traced", *claimAfter, *timeout))
	case *attempts < 1:
		return usageErr(errors.New("-attempts must be at least 1"))
	}
	if err := lookups.check(); err != nil {
		return usageErr(err)
	}
	defer rdb.Close()
	tracer, closeLookups, err := tf.tracer(stderr)
	if err != nil {
		return usageErr(err)
	}
	defer closeLookups()
	n := *workers
	if lookups.network && n < 16 {
		n = 16
	}
	n = max(n, 1)
	w := &worker{
		rdb: rdb, in: q.stream, group: *group, out: *results, dead: *dead, consumer: *consumer,
		claimAfter: *claimAfter, timeout: *timeout, attempts: int64(*attempts), exitIdle: *exitIdle,
		tracer: tracer, lookupJSON: lookups.lookupJSON(), stderr: stderr, cursor: "0-0",
	}
	if w.out == "" {
		w.out = w.in + ":results"
	}
	if w.dead == "" {
		w.dead = w.in + ":dead"
	}
	if w.consumer == "" {
		host, _ := os.Hostname()
		w.consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	// SIGTERM (and the command's SIGINT): finish what is being traced,
	// acknowledge it, exit.
	stop, cancel := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer cancel()
	if err := w.createGroup(stop); err != nil {
		fmt.Fprintln(stderr, "spamtrace worker:", err)
		return 2
	}
	start := time.Now()
	w.lastWork.Store(start.UnixNano())
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(stop)
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Fprintf(stderr, "spamtrace worker %s: %d traced (%d taken over from other consumers), %d duplicate results dropped, %d dead letters, in %v: %.1f messages/s\n",
		w.consumer, w.traced.Load(), w.reclaimed.Load(), w.dups.Load(), w.deadN.Load(), el.Round(time.Millisecond), float64(w.traced.Load())/el.Seconds())
	return 0
}

func workerUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, `usage: spamtrace worker -redis redis://HOST:PORT/DB -stream IN -group G [-results OUT] [flags]

Traces the messages "spamtrace enqueue" put on the stream IN, as a member
of the consumer group G, and writes each message's -json object to OUT
(default IN:results) with the input entry's id. Stops on SIGTERM after
acknowledging what it was tracing.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// createGroup creates the consumer group at the stream's start (so what
// was enqueued before the first worker came is traced), waiting for Redis
// until stop.
func (w *worker) createGroup(stop context.Context) error {
	for {
		err := w.rdb.XGroupCreateMkStream(stop, w.in, w.group, "0").Err()
		if err == nil || strings.HasPrefix(err.Error(), "BUSYGROUP") {
			w.redisUp()
			return nil
		}
		if !redisDown(err) || stop.Err() != nil {
			return fmt.Errorf("creating group %s on %s: %w", w.group, w.in, err)
		}
		w.redisLost(err)
		sleep(stop, time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (w *worker) say(format string, args ...any) {
	w.stderrMu.Lock()
	defer w.stderrMu.Unlock()
	fmt.Fprintf(w.stderr, "spamtrace worker %s: "+format+"\n", append([]any{w.consumer}, args...)...)
}

func (w *worker) redisLost(err error) {
	w.mu.Lock()
	was := w.down
	w.down = true
	w.mu.Unlock()
	if !was {
		w.say("queue Redis lost (%v); retrying", err)
	}
}

func (w *worker) redisUp() {
	w.mu.Lock()
	was := w.down
	w.down = false
	w.mu.Unlock()
	if was {
		w.say("queue Redis is back")
	}
}

// claimDue reports whether this goroutine should look for entries to take
// over now; one goroutine does so at a time, a few times per -claim-after.
func (w *worker) claimDue() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Now().Before(w.nextClaim) {
		return false
	}
	every := min(max(w.claimAfter/4, 100*time.Millisecond), 10*time.Second)
	w.nextClaim = time.Now().Add(every)
	return true
}

func (w *worker) loop(stop context.Context) {
	ctx := context.WithoutCancel(stop)
	for stop.Err() == nil {
		if w.claimDue() {
			w.mu.Lock()
			cursor := w.cursor
			w.mu.Unlock()
			msgs, next, err := w.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: w.in, Group: w.group, Consumer: w.consumer, MinIdle: w.claimAfter, Start: cursor, Count: 1,
			}).Result()
			if err != nil && redisDown(err) {
				w.redisLost(err)
				sleep(stop, time.Second)
				continue
			}
			if err == nil {
				w.redisUp()
				w.mu.Lock()
				w.cursor = next
				w.mu.Unlock()
				for _, m := range msgs {
					w.reclaimed.Add(1)
					w.handle(ctx, m, true)
				}
				if len(msgs) > 0 {
					w.mu.Lock()
					w.nextClaim = time.Time{} // there may be more
					w.mu.Unlock()
					continue
				}
			}
		}
		res, err := w.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: w.group, Consumer: w.consumer, Streams: []string{w.in, ">"}, Count: 1, Block: time.Second,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			w.redisUp()
			if w.exitIdle > 0 && time.Since(time.Unix(0, w.lastWork.Load())) > w.exitIdle && w.nothingPending(ctx) {
				return
			}
			continue
		case err != nil:
			if redisDown(err) {
				w.redisLost(err)
			} else {
				w.say("reading %s: %v", w.in, err)
			}
			sleep(stop, time.Second)
			continue
		}
		w.redisUp()
		for _, s := range res {
			for _, m := range s.Messages {
				w.handle(ctx, m, false)
			}
		}
	}
}

// nothingPending reports whether the group has no entry delivered and not
// yet acknowledged (a dead consumer's entries wait to be taken over).
func (w *worker) nothingPending(ctx context.Context) bool {
	p, err := w.rdb.XPending(ctx, w.in, w.group).Result()
	return err == nil && p.Count == 0
}

func (w *worker) failuresKey() string { return w.in + ":" + w.group + ":failures" }

// handle traces one entry and writes its result, or moves it to the
// dead-letter stream.
func (w *worker) handle(ctx context.Context, m redis.XMessage, reclaimed bool) {
	w.lastWork.Store(time.Now().UnixNano())
	deliveries := int64(1)
	if reclaimed {
		p, err := w.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: w.in, Group: w.group, Start: m.ID, End: m.ID, Count: 1}).Result()
		if err == nil && len(p) == 1 {
			deliveries = p[0].RetryCount
		}
	}
	if deliveries > w.attempts {
		reason := fmt.Sprintf("delivered %d times and never acknowledged: the workers tracing it crashed, were killed or timed out", deliveries-1)
		if last, _ := w.rdb.HGet(ctx, w.failuresKey(), m.ID).Result(); last != "" {
			reason += "; a failure recorded: " + last
		}
		w.deadLetter(ctx, m, reason, deliveries)
		return
	}
	recs, failure := w.traceEntry(ctx, m)
	if failure != "" {
		if deliveries >= w.attempts {
			w.deadLetter(ctx, m, fmt.Sprintf("%s (attempt %d of %d)", failure, deliveries, w.attempts), deliveries)
			return
		}
		// Left pending: it is taken over after -claim-after, by whoever.
		w.rdb.HSet(ctx, w.failuresKey(), m.ID, fmt.Sprintf("%s (attempt %d of %d)", failure, deliveries, w.attempts))
		w.say("%s: %s; left for another attempt", m.ID, failure)
		return
	}
	// The lines spamtrace -json prints for the message: its own object,
	// then one per attached message.
	var js []byte
	for i := range recs {
		if i > 0 {
			js = append(js, '\n')
		}
		js = appendRecord(js, &recs[i], w.lookupJSON)
	}
	w.traced.Add(1)
	keys := []string{w.out, w.in, w.out + ":seen:" + m.ID, w.failuresKey()}
	for try := 0; ; try++ {
		fresh, err := resultScript.Run(ctx, w.rdb, keys, w.group, m.ID, w.consumer, js, int(w.seenTTL().Seconds())).Int()
		if err == nil {
			if fresh == 0 {
				w.dups.Add(1)
			}
			return
		}
		if !redisDown(err) || time.Duration(try)*time.Second > w.timeout {
			// Still pending: another attempt comes after -claim-after.
			w.say("%s: writing the result: %v", m.ID, err)
			return
		}
		w.redisLost(err)
		time.Sleep(time.Second)
	}
}

func (w *worker) deadLetter(ctx context.Context, m redis.XMessage, reason string, deliveries int64) {
	args := []any{w.group, m.ID, "id", m.ID, "reason", reason, "deliveries", deliveries, "consumer", w.consumer}
	for _, f := range []string{fieldFile, fieldPosition, fieldError, fieldRaw} {
		if v, ok := m.Values[f]; ok {
			args = append(args, f, v)
		}
	}
	if err := deadScript.Run(ctx, w.rdb, []string{w.dead, w.in, w.failuresKey()}, args...).Err(); err != nil {
		w.say("%s: moving to %s: %v", m.ID, w.dead, err)
		return
	}
	w.deadN.Add(1)
	w.say("%s moved to %s: %s", m.ID, w.dead, reason)
}

// traceEntry traces one entry under -timeout, as the command traces a
// message it reads: the message, then each attached message
// (traceAll). It returns the failure ("panic: ...", "timed out after
// ...") instead of the records when the trace did not finish in time.
func (w *worker) traceEntry(ctx context.Context, m redis.XMessage) ([]record, string) {
	str := func(f string) string {
		s, _ := m.Values[f].(string)
		return s
	}
	msg := mailbox.Message{File: str(fieldFile)}
	msg.Position, _ = strconv.Atoi(str(fieldPosition))
	if e := str(fieldError); e != "" {
		msg.Err = errors.New(e)
	}
	raw, ok := m.Values[fieldRaw].(string)
	if !ok {
		if msg.Err == nil {
			msg.Err = errors.New("spamtrace: the entry has no raw field")
		}
		return []record{{file: msg.File, position: msg.Position, err: msg.Err}}, ""
	}
	msg.Data = []byte(raw)
	tctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	type result struct {
		recs  []record
		panic string
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: fmt.Sprint(p)}
			}
		}()
		done <- result{recs: traceAll(tctx, w.tracer, &msg)}
	}()
	select {
	case r := <-done:
		if r.panic != "" {
			return nil, "panic: " + r.panic
		}
		// A socket deadline set from tctx may end the trace a moment
		// before tctx's own timer fires: go by the clock.
		if dl, _ := tctx.Deadline(); tctx.Err() != nil || !time.Now().Before(dl) {
			return nil, fmt.Sprintf("timed out after %v", w.timeout)
		}
		return r.recs, ""
	case <-tctx.Done():
		return nil, fmt.Sprintf("timed out after %v", w.timeout)
	}
}
