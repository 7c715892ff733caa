package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// detail prints, for each message of dir, the auth findings whose rule
// starts with prefix and the results fields with an item error.
func detail(dir, prefix string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".eml") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var t trace.Tracer
		tr, err := t.Trace(context.Background(), bytes.NewReader(raw))
		if err != nil {
			return nil
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
		return nil
	})
}
