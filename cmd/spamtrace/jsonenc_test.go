package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/spamtrace/spamtrace/trace"
)

func BenchmarkAppendRecord(b *testing.B) {
	raw, err := os.ReadFile(sample("gmail-to-postfix.eml"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := (&trace.Tracer{}).Trace(context.Background(), bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	r := &record{file: "gmail-to-postfix.eml", tr: tr}
	buf := appendRecord(nil, r, nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRecord(buf[:0], r, nil)
	}
}
