package trace

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/received"
)

// authBenchMessages are the .eml files under SPAMTRACE_MODERN (the modern
// corpus, rich in authentication fields) when it is set, else
// benchMessages.
func authBenchMessages(b *testing.B) [][]byte {
	dir := os.Getenv("SPAMTRACE_MODERN")
	if dir == "" {
		return benchMessages(b)
	}
	var out [][]byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			if raw, err := os.ReadFile(p); err == nil {
				out = append(out, raw)
			}
		}
		return nil
	})
	return out
}

// BenchmarkTraceAuth compares a trace with the authentication analysis
// (the default) and without (NoAuth), on the same messages.
func BenchmarkTraceAuth(b *testing.B) {
	msgs := authBenchMessages(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		t    Tracer
	}{{"auth", Tracer{}}, {"noauth", Tracer{NoAuth: true}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, cpuTime())
			i := 0
			for b.Loop() {
				if _, err := c.t.Trace(ctx, bytes.NewReader(msgs[i%len(msgs)])); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkAuthAnalyze times only the authentication analysis of traces
// already made (the cost Trace adds for it).
func BenchmarkAuthAnalyze(b *testing.B) {
	msgs := authBenchMessages(b)
	type prepared struct {
		tr *Trace
		h  received.Header
	}
	var ps []prepared
	t := Tracer{NoAuth: true}
	for _, m := range msgs {
		lim := received.Limits{Keep: keepField}
		msg, err := received.ReadHeader(bytes.NewReader(m), &lim)
		if err != nil {
			continue
		}
		tr, err := t.Trace(context.Background(), bytes.NewReader(m))
		if err != nil {
			continue
		}
		ps = append(ps, prepared{tr, msg.Header})
	}
	var on Tracer
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	i := 0
	for b.Loop() {
		p := ps[i%len(ps)]
		on.addAuth(p.tr, p.h)
		p.tr.Findings = p.tr.Findings[:0]
		i++
	}
}

// cpuTime is the process's user and system CPU time: on a loaded machine
// it measures the work done, where wall time also counts waiting for a
// core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
