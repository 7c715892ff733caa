package trace

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
)

// TraceBytes gives what Trace gives, message by message (the corpus when
// SPAMTRACE_CORPUS is set, else the test messages), cut messages included.
func TestTraceBytesAsTrace(t *testing.T) {
	var msgs [][]byte
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		cs, err := corpus.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cs {
			msgs = append(msgs, []byte(m.Text))
		}
	} else {
		files, _ := filepath.Glob("testdata/*.eml")
		for _, f := range files {
			d, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, d)
		}
	}
	if len(msgs) == 0 {
		t.Fatal("no messages to trace")
	}
	ctx := context.Background()
	var tr Tracer
	for i, m := range msgs {
		for _, raw := range [][]byte{m, m[:len(m)/3], m[:len(m)/2+1]} {
			want, werr := tr.Trace(ctx, bytes.NewReader(raw))
			got, gerr := tr.TraceBytes(ctx, raw)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(want, got) {
				t.Fatalf("message %d (%d bytes): TraceBytes gives\n%+v, %v\nTrace gives\n%+v, %v", i, len(raw), got, gerr, want, werr)
			}
		}
	}
}

func BenchmarkTraceBytes(b *testing.B) {
	msgs := benchMessages(b)
	ctx := context.Background()
	var t Tracer
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := t.TraceBytes(ctx, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
