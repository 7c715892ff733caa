package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/trace"
)

// detail prints, for each message of dir, the auth findings whose rule
// starts with prefix and the results fields with an item error.
func detail(dir, prefix string) {
	msgs, err := corpus.LoadModern(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, m := range msgs {
		p, raw := filepath.Join(dir, m.Path), []byte(m.Text)
		var t trace.Tracer
		tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
		if err != nil {
			continue
		}
		for _, f := range tr.Findings {
			if prefix != "" && strings.HasPrefix(f.Rule, prefix) {
				fmt.Printf("%s: %s hop %d: %s\n", p, f.Rule, f.Hop, f.Message)
			}
		}
		if prefix == "" {
			for _, rf := range tr.Auth.ResultFields {
				if rf.Err != nil {
					fmt.Printf("%s: %v\n    %.200q\n", p, rf.Err, rf.Raw)
				}
			}
		}
	}
}
