// Command traceone traces one message and prints where it came from and
// what looks forged.
//
//	go run ./examples/traceone examples/testdata/forged-spam.eml
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spamtrace/spamtrace/trace"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: traceone MESSAGE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	tr, err := trace.TraceMessage(context.Background(), f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, h := range tr.Path() {
		r := h.Received
		fmt.Printf("hop %d  %-12s from %s [%s] by %s\n", h.Index, h.Trust, r.From.HELO, r.From.IPText, r.By.Host)
	}
	if tr.Origin.IsValid() {
		fmt.Printf("origin: %s (%s)\n  %s\n", tr.Origin.IP, tr.Origin.Host, tr.Origin.Reason)
	}
	for _, f := range tr.Findings {
		if f.Severity >= trace.SeverityMedium {
			fmt.Printf("%-6s %-18s hop %2d: %s\n", f.Severity, f.Category, f.Hop, f.Message)
		}
	}
}
