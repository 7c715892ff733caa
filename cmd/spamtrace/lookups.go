package main

import (
	"flag"

	"github.com/spamtrace/spamtrace/trace"
)

// lookupFlags holds the flags that turn on network lookups. The command is
// offline: no lookup flags exist yet, so this configures nothing.
type lookupFlags struct{}

func addLookupFlags(fs *flag.FlagSet) *lookupFlags { return &lookupFlags{} }

// apply configures t's resolvers; the returned function releases them.
func (l *lookupFlags) apply(t *trace.Tracer) (func(), error) { return func() {}, nil }

// lookupJSON returns the encoder of a hop's "lookup" object, or nil when
// lookups are off.
func (l *lookupFlags) lookupJSON() func([]byte, *trace.Lookup) []byte { return nil }

// lookupAbuse returns the abuse addresses lookups found for a hop.
func lookupAbuse(l *trace.Lookup) []string { return nil }
