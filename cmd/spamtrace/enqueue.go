package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spamtrace/spamtrace/internal/mailbox"
)

// enqueueBatch is how many XADDs go to Redis in one round trip.
const enqueueBatch = 256

// runEnqueue is "spamtrace enqueue -redis URL -stream IN PATH...": it puts
// every message of the paths (files, directories, mboxes, Maildirs, - for
// standard input) on the stream, one entry each.
func runEnqueue(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace enqueue", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	q := addQueueFlags(fs)
	headersOnly := fs.Bool("headers-only", false, "put only each message's header block on the stream (smaller; attached messages and URLs are then not seen)")
	maxBytes := fs.Int("max-bytes", 0, "cap on one message's `bytes`; a longer one is cut and its entry says so (0: the command's cap, 64 MiB)")
	printIDs := fs.Bool("ids", false, "print each entry's id on standard output")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			enqueueUsage(fs, stdout)
			return 0
		}
		fmt.Fprintln(stderr, "spamtrace enqueue:", err)
		enqueueUsage(fs, stderr)
		return 2
	}
	rdb, err := q.client()
	if err == nil && fs.NArg() == 0 {
		err = errors.New("no input: give message files, directories, mboxes, Maildirs or -")
	}
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace enqueue:", err)
		enqueueUsage(fs, stderr)
		return 2
	}
	defer rdb.Close()
	start := time.Now()
	var (
		pending  []*redis.StringCmd
		pipe     = rdb.Pipeline()
		count    int
		readErrs int
		first    string
		last     string
		failed   error
	)
	flush := func() bool {
		if len(pending) == 0 {
			return true
		}
		if _, err := pipe.Exec(ctx); err != nil {
			failed = err
			return false
		}
		for _, c := range pending {
			id := c.Val()
			if first == "" {
				first = id
			}
			last = id
			if *printIDs {
				fmt.Fprintln(stdout, id)
			}
		}
		count += len(pending)
		pending = pending[:0]
		return true
	}
	mopt := &mailbox.Options{HeaderOnly: *headersOnly, MaxMessageBytes: *maxBytes}
	mailbox.Walk(fs.Args(), stdin, mopt, func(m mailbox.Message) bool {
		if m.Err != nil {
			fmt.Fprintf(stderr, "spamtrace enqueue: %s: %v\n", m.File, m.Err)
			if m.Data == nil {
				readErrs++
				return ctx.Err() == nil
			}
		}
		values := []any{fieldFile, m.File, fieldRaw, m.Data}
		if m.Position > 0 {
			values = append(values, fieldPosition, strconv.Itoa(m.Position))
		}
		if m.Err != nil {
			values = append(values, fieldError, m.Err.Error())
		}
		pending = append(pending, pipe.XAdd(ctx, &redis.XAddArgs{Stream: q.stream, Values: values}))
		if len(pending) >= enqueueBatch && !flush() {
			return false
		}
		return ctx.Err() == nil
	})
	if failed == nil {
		flush()
	}
	if failed != nil {
		fmt.Fprintf(stderr, "spamtrace enqueue: %s: %v (%d messages were enqueued before)\n", q.url, failed, count)
		return 2
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "spamtrace enqueue: %d messages on %s (ids %s to %s) in %v\n", count, q.stream, first, last, el.Round(time.Millisecond))
	if readErrs > 0 {
		return 2
	}
	return 0
}

func enqueueUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, `usage: spamtrace enqueue -redis redis://HOST:PORT/DB -stream IN [flags] PATH...

Puts every message of the paths (files, directories, mboxes, Maildirs, -
for standard input) on the stream IN, one entry each, for "spamtrace
worker" to trace.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
