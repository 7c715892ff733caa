package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The work queue's stream entries. An input entry (written by "spamtrace
// enqueue") has the fields:
//
//	file      where the message came from
//	position  its 1-based position in an mbox (absent for a one-message file)
//	raw       the message (its header block only with enqueue -headers-only)
//	error     why the message could not be read whole (absent when it could)
//
// A result entry (written by "spamtrace worker") has "id", the input
// entry's id, "consumer", the worker that traced it, and "json", what
// "spamtrace -json" prints for the message: its object, then one line per
// attached message, without the final newline. A dead letter has "id",
// "reason", "deliveries", "consumer" and the input's fields.
const (
	fieldFile     = "file"
	fieldPosition = "position"
	fieldRaw      = "raw"
	fieldError    = "error"
)

// queueFlags are the flags enqueue and worker share.
type queueFlags struct {
	url    string
	stream string
}

func addQueueFlags(fs *flag.FlagSet) *queueFlags {
	q := &queueFlags{}
	fs.StringVar(&q.url, "redis", "", "the Redis of the queue, redis://HOST:PORT/DB")
	fs.StringVar(&q.stream, "stream", "", "the stream of input messages")
	return q
}

// client checks the flags and returns a client; it does no I/O.
func (q *queueFlags) client() (*redis.Client, error) {
	if q.url == "" {
		return nil, errors.New("-redis URL is required")
	}
	if q.stream == "" {
		return nil, errors.New("-stream NAME is required")
	}
	opt, err := redis.ParseURL(q.url)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	redis.SetLogger(quietRedis{})
	return redis.NewClient(opt), nil
}

// redisDown reports whether err is Redis being unreachable rather than an
// answer (redis.Nil) or a command error.
func redisDown(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) && !strings.HasPrefix(re.Error(), "LOADING") {
		return false
	}
	return true
}
