package main

import (
	"context"
	"os"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/trace"
)

// benchInputs are the corpus messages when SPAMTRACE_CORPUS names its data
// directory, else the sample messages.
func benchInputs(b *testing.B) []mailbox.Message {
	var out []mailbox.Message
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		msgs, err := corpus.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			out = append(out, mailbox.Message{File: m.Path, Data: []byte(m.Text)})
		}
		return out
	}
	for _, n := range []string{"forged-spam.eml", "gmail-to-postfix.eml", "exchange-online.eml"} {
		d, err := os.ReadFile(sample(n))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, mailbox.Message{File: n, Data: d})
	}
	return out
}

// What unwrapping and URL extraction add to a trace: traceOne reads the
// header only, traceAll also walks the MIME tree and scans the text.
func BenchmarkTraceOne(b *testing.B) { benchTrace(b, false) }
func BenchmarkTraceAll(b *testing.B) { benchTrace(b, true) }

func benchTrace(b *testing.B, all bool) {
	msgs := benchInputs(b)
	var tracer trace.Tracer
	ctx := context.Background()
	var bytes int64
	for _, m := range msgs {
		bytes += int64(len(m.Data))
	}
	b.SetBytes(bytes / int64(len(msgs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := &msgs[i%len(msgs)]
		i++
		if all {
			traceAll(ctx, &tracer, m)
		} else {
			traceOne(ctx, &tracer, m)
		}
	}
}
