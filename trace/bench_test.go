package trace

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
)

// benchMessages are the SpamAssassin public corpus when
// SPAMTRACE_CORPUS names its data directory, else the test messages. The
// benchmark is skipped when there are none to trace.
func benchMessages(b *testing.B) [][]byte {
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		msgs, err := corpus.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) == 0 {
			b.Skipf("SPAMTRACE_CORPUS=%s holds no messages (want the corpus data directory: folders of JSON messages, as internal/corpus reads them)", dir)
		}
		out := make([][]byte, len(msgs))
		for i, m := range msgs {
			out[i] = []byte(m.Text)
		}
		return out
	}
	files, _ := filepath.Glob("testdata/*.eml")
	var out [][]byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		b.Skip("no messages: trace/testdata holds no .eml file and SPAMTRACE_CORPUS is not set")
	}
	return out
}

func BenchmarkTraceMessage(b *testing.B) {
	msgs := benchMessages(b)
	ctx := context.Background()
	var t Tracer
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := t.Trace(ctx, bytes.NewReader(msgs[i%len(msgs)])); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkTraceMessageParallel(b *testing.B) {
	msgs := benchMessages(b)
	ctx := context.Background()
	var t Tracer
	b.ReportAllocs()
	b.ResetTimer()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := t.Trace(ctx, bytes.NewReader(msgs[int(i)%len(msgs)])); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
