package main

import (
	"context"
	"io"
)

// subcommand is one "spamtrace NAME ..." mode other than tracing messages.
// Each takes the arguments after its name and returns the exit status.
type subcommand func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// subcommands maps a first argument to its mode. A path that happens to be
// named like a subcommand can still be traced as ./NAME.
var subcommands = map[string]subcommand{
	"whois": func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return runWhois(ctx, args, stdout, stderr)
	},
	"serve": func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return runServe(ctx, args, stdout, stderr)
	},
	"log": func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return runLog(ctx, args, stdout, stderr)
	},
	"enqueue": runEnqueue,
	"worker": func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return runWorker(ctx, args, stdout, stderr)
	},
}
