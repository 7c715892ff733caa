package main

import (
	"flag"
	"io"

	"github.com/spamtrace/spamtrace/trace"
)

// tracerFlags are the flags that configure the tracer: your own
// infrastructure and the lookups. The command, serve and worker take the
// same ones, with the same names and meanings.
type tracerFlags struct {
	trusted, trustedHost, localDomain listFlag
	lookups                           *lookupFlags
}

func addTracerFlags(fs *flag.FlagSet) *tracerFlags {
	f := &tracerFlags{trusted: listFlag{check: checkPrefix}, trustedHost: listFlag{check: checkDomain}, localDomain: listFlag{check: checkDomain}}
	fs.Var(&f.trusted, "trusted", "a trusted network (`CIDR` or address); repeatable")
	fs.Var(&f.trustedHost, "trusted-host", "a trusted relay host `name` or domain; repeatable")
	fs.Var(&f.localDomain, "local-domain", "one of the recipient's own domains (a `domain`); repeatable")
	f.lookups = addLookupFlags(fs)
	return f
}

// tracer builds the configured tracer; the returned function releases
// what the lookups opened.
func (f *tracerFlags) tracer(stderr io.Writer) (*trace.Tracer, func(), error) {
	if err := f.lookups.check(); err != nil {
		return nil, func() {}, err
	}
	t := &trace.Tracer{LocalDomains: f.localDomain.vals, TrustedHosts: f.trustedHost.vals}
	for _, s := range f.trusted.vals {
		p, _ := parsePrefix(s) // checked when the flag was set
		t.TrustedNetworks = append(t.TrustedNetworks, p)
	}
	closeLookups, err := f.lookups.apply(t, stderr)
	if err != nil {
		return nil, func() {}, err
	}
	return t, closeLookups, nil
}
