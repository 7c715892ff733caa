package trace

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/received"
)

// The text report prints the oldest hop first, so "above" and "below"
// would point the wrong way there: findings, edges and the origin speak
// of newer and older hops, and of hop numbers.
func TestWordingHasNoAboveOrBelow(t *testing.T) {
	var files []string
	for _, dir := range []string{"testdata", filepath.Join("..", "examples", "testdata")} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("only %d sample messages", len(files))
	}
	texts := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := TraceMessage(context.Background(), f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		check := func(what, s string) {
			texts++
			for _, w := range []string{"above", "below"} {
				if strings.Contains(s, w) {
					t.Errorf("%s: %s says %q: %s", name, what, w, s)
				}
			}
		}
		for _, f := range tr.Findings {
			check("finding "+f.Rule, f.Message)
		}
		for _, e := range tr.Edges {
			check("edge", e.Detail)
		}
		check("origin", tr.Origin.Reason)
	}
	t.Logf("%d messages, %d texts", len(files), texts)
}

// A chain cut by the hop cap does not claim the message began at the last
// hop read.
func TestHopCapOrigin(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 150; i++ {
		b.WriteString("Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) with ESMTP id 4Q; Tue, 12 Mar 2024 09:14:31 +0000\r\n")
	}
	b.WriteString("Subject: loop\r\n\r\n")
	tr, err := TraceMessage(context.Background(), strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Hops) != 100 {
		t.Fatalf("%d hops read", len(tr.Hops))
	}
	if r := tr.Origin.Reason; !strings.Contains(r, "at least 50 older hops were not read") || strings.Contains(r, "began there") {
		t.Errorf("origin reason %q", r)
	}
	// Cut at the byte cap: how many were not read is not known.
	tr, err = (&Tracer{Limits: &received.Limits{MaxHeaderBytes: 2000}}).Trace(context.Background(), strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if r := tr.Origin.Reason; !strings.Contains(r, "older hops may not have been read") || strings.Contains(r, "began there") {
		t.Errorf("byte-cut origin reason %q (%d hops)", r, len(tr.Hops))
	}
	// Under the cap, the same chain began where it ends.
	tr, _ = TraceMessage(context.Background(), strings.NewReader(strings.Repeat("Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) with ESMTP id 4Q; Tue, 12 Mar 2024 09:14:31 +0000\r\n", 3)+"\r\n"))
	if r := tr.Origin.Reason; !strings.Contains(r, "the message began there") {
		t.Errorf("uncut origin reason %q", r)
	}
}
