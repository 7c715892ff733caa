package trace

import (
	"context"
	"hash/maphash"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// Tracer traces messages. Its zero value works: no trusted networks beyond
// what the headers let it infer, the default clock tolerance and limits, and
// no network I/O. A Tracer is safe for concurrent use once configured; do
// not change its fields while traces are running (between traces is fine).
type Tracer struct {
	// TrustedNetworks are the recipient's own and trusted relays' networks.
	// A hop whose sending IP is inside one is trusted. Nil means only what
	// can be inferred (private and loopback addresses, fetch hops, same
	// registered domain as the receiving server).
	TrustedNetworks []netip.Prefix

	// TrustedHosts are host names (or domains: "example.com" covers
	// "mx1.example.com") of trusted relays. Nil means none beyond inference.
	TrustedHosts []string

	// LocalDomains are the recipient's own domains. Servers in them are
	// trusted, and a HELO claiming one from outside is a forgery.
	LocalDomains []string

	// ClockTolerance is how far a hop may be dated after the hop above it
	// before time-travel is reported at all. Zero means 15 minutes.
	// Medium severity starts at 6 hours and high at a day whatever this is.
	ClockTolerance time.Duration

	// Limits caps what reading a message may cost. Nil means
	// received's defaults.
	Limits *received.Limits

	// Now returns the current time, for future-date. Nil means time.Now.
	Now func() time.Time

	// Lookups, when set, resolves each hop's address (reverse DNS with
	// forward confirmation, GeoIP and ASN, DNSBL, netblock owner). Nil
	// means no network I/O at all.
	Lookups *Lookups

	// NoAuth turns the authentication analysis (Trace.Auth) off. The zero
	// value runs it.
	NoAuth bool
}

// TraceMessage traces one raw message (RFC 5322; an mbox "From " line is
// allowed) with the zero Tracer: offline, inferring trust from the headers.
func TraceMessage(ctx context.Context, raw io.Reader) (*Trace, error) {
	var t Tracer
	return t.Trace(ctx, raw)
}

// Trace reads the header block of raw and traces it. The error is non-nil
// only when no header could be read at all; problems with single fields or
// hops are recorded in the result.
func (t *Tracer) Trace(ctx context.Context, raw io.Reader) (*Trace, error) {
	lim := received.Limits{Keep: keepField}
	if t.Limits != nil {
		lim = *t.Limits
		if user := t.Limits.Keep; user != nil {
			lim.Keep = func(n []byte) bool { return keepField(n) || user(n) }
		} else {
			lim.Keep = keepField
		}
	}
	full, raw, err := t.readForVerify(raw)
	if err != nil {
		return nil, err
	}
	msg, err := received.ReadHeader(raw, &lim)
	if err != nil {
		return nil, err
	}
	// Parse each hop in place: a hop is large, and copying it from a
	// received.Message into the trace would cost more than reading it.
	tr := &Trace{Hops: make([]Hop, len(msg.Received))}
	var ps received.Parser
	for i, v := range msg.Received {
		h := &tr.Hops[i]
		h.Index = i
		h.ParseErr = ps.ParseTo(&h.Received, v)
	}
	var cut chainCut
	if msg.Truncated {
		// Received fields past the hop cap are in the header but were
		// not parsed; past the byte cap, nobody knows how many there are.
		cut.unread = countReceived(msg.Header) - len(msg.Received)
		cut.bytes = cut.unread == 0
	}
	t.finish(tr, msg.Header, cut)
	for _, e := range msg.Errors {
		tr.HeaderErrors = append(tr.HeaderErrors, e.Error())
	}
	if msg.Truncated {
		tr.Findings = append(tr.Findings, Finding{
			Rule: "header-truncated", Category: CategoryUnparseableHop, Severity: SeverityLow, Hop: -1,
			Message: "the header block exceeded a reading limit; the trace covers what was read",
		})
	}
	if t.Lookups != nil {
		t.Lookups.resolve(ctx, tr)
	}
	if full != nil {
		t.verifyAuth(ctx, tr, full)
	}
	return tr, nil
}

// TraceHeader traces a header already read with go-message's textproto.
// hops are its parsed Received fields, topmost first; hopErrs[i], when
// present, is the parse error of hops[i]. It does no I/O. Its fields are
// read as go-message gives them (its keys, its unfolded values), which is
// what Trace reads of a raw message's own.
func (t *Tracer) TraceHeader(h textproto.Header, hops []received.Hop, hopErrs []error) *Trace {
	return t.traceFields(fromTextproto(h), hops, hopErrs)
}

// fromTextproto is a go-message header as a received.Header: the names
// are go-message's keys (the names as written are gone), the fields have
// no raw text.
func fromTextproto(h textproto.Header) received.Header {
	if h.Len() == 0 {
		return nil
	}
	fs := make(received.Header, 0, h.Len())
	for f := h.Fields(); f.Next(); {
		fs = append(fs, received.Field{Name: f.Key(), Value: f.Value()})
	}
	return fs
}

func (t *Tracer) traceFields(h received.Header, hops []received.Hop, hopErrs []error) *Trace {
	tr := &Trace{Hops: make([]Hop, len(hops))}
	for i := range hops {
		tr.Hops[i] = Hop{Index: i, Received: hops[i]}
		if i < len(hopErrs) {
			tr.Hops[i].ParseErr = hopErrs[i]
		}
	}
	t.finish(tr, h, chainCut{})
	return tr
}

// finish reads the summary fields and builds the graph, trust and findings
// of a trace whose hops are in place.
func (t *Tracer) finish(tr *Trace, h received.Header, cut chainCut) {
	tr.Header, tr.ClientIPs, tr.ClientRecords = readSummary(h)
	t.build(tr, cut)
	t.addAuth(tr, h)
}

// chainCut says whether a reading limit cut the chain of hops short: some
// older hops were not read.
type chainCut struct {
	unread int  // Received fields past the hop cap
	bytes  bool // the header block was cut at the byte cap
}

func countReceived(h received.Header) int {
	n := 0
	for i := range h {
		if h[i].Is("Received") {
			n++
		}
	}
	return n
}

// TraceHops traces a bare list of parsed hops, topmost first, with no other
// header fields.
func (t *Tracer) TraceHops(hops []received.Hop) *Trace {
	return t.traceFields(nil, hops, nil)
}

func (t *Tracer) build(tr *Trace, cut chainCut) {
	c := t.config()
	names := hopNamesPool.Get().(*[]hopNames)
	c.names = hopNamesFor(*names, tr.Hops)
	defer func() {
		clear(c.names) // the pool must not keep a header alive
		if cap(c.names) <= maxPooledHops {
			*names = c.names[:0]
			hopNamesPool.Put(names)
		}
	}()
	computeDelays(tr)
	tr.Edges = buildEdges(tr.Hops, c.names, &c.text)
	tr.Origin = findOrigin(&c, tr, cut)
	tr.Origin.found = 0 <= tr.Origin.Hop && tr.Origin.Hop < len(tr.Hops)
	runChecks(&c, tr)
	distrustFabricatedOrigin(&c, tr)
	checkOriginRecord(&c, tr)
	sortFindings(tr.Findings)
}

// config is a Tracer with defaults filled and names normalised.
type config struct {
	trustedNets  []netip.Prefix
	trustedHosts []string
	localDomains []string
	tolerance    time.Duration
	now          time.Time
	futureHop    time.Time // now + 24h: a hop dated after it is in the future
	// pastForwarder is set by the trust walk once it has followed a
	// forwarding service (trust.go).
	pastForwarder bool
	// names are the trace's hops' names, worked out once (hopnames.go):
	// names[i] is of Hops[i].
	names []hopNames
	// text holds the trace's explanations (texts.go).
	text texts
}

func (t *Tracer) config() config {
	c := config{trustedNets: t.TrustedNetworks, tolerance: t.ClockTolerance}
	if c.tolerance <= 0 {
		c.tolerance = 15 * time.Minute
	}
	if t.Now != nil {
		c.now = t.Now()
	} else {
		c.now = time.Now()
	}
	c.futureHop = c.now.Add(24 * time.Hour)
	c.trustedHosts = normNames(t.TrustedHosts)
	c.localDomains = normNames(t.LocalDomains)
	return c
}

// normNames returns names normalised (normName), nil for none. A Tracer's
// list is normalised once and remembered by the slice it came from: a
// trace finds the copy by the list's first element and uses it while the
// list still holds the same strings (compared by pointer first, a few
// instructions a name). A caller that changes a field between traces, by
// assigning a new slice or by writing into the old one, gets its new
// names on the next trace; only changing a field while traces run is not
// allowed (see Tracer).
func normNames(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	slot := &normLists[maphash.Comparable(normSeed, &names[0])%uint64(len(normLists))]
	if e := slot.Load(); e != nil && slices.Equal(e.held, names) {
		return e.norm
	}
	e := &normList{held: slices.Clone(names), norm: make([]string, len(names))}
	for i, n := range names {
		e.norm[i] = normName(n)
	}
	slot.Store(e)
	return e.norm
}

// normLists remembers the normalised host lists of the Tracers in use,
// direct-mapped: a list whose slot is taken replaces the entry there, so
// memory is fixed and reads take no lock.
var (
	normLists [64]atomic.Pointer[normList]
	normSeed  = maphash.MakeSeed()
)

type normList struct {
	held []string // the strings the list held
	norm []string // normName of each
}

func computeDelays(tr *Trace) {
	for i := 0; i+1 < len(tr.Hops); i++ {
		a, b := tr.Hops[i].Received.Date, tr.Hops[i+1].Received.Date
		if !a.IsZero() && !b.IsZero() {
			tr.Hops[i].Delay = a.Sub(b)
		}
	}
}

// Path returns the hops from the origin side to the recipient: the reverse
// of header order.
func (tr *Trace) Path() []Hop {
	p := make([]Hop, len(tr.Hops))
	for i, h := range tr.Hops {
		p[len(tr.Hops)-1-i] = h
	}
	return p
}

// normName lower-cases a host name and strips a trailing dot and brackets.
func normName(s string) string {
	if s == "" {
		return s
	}
	// Spaces (ASCII or Unicode) can only be there when an end byte is a
	// control character, a space or not ASCII.
	if a, b := s[0], s[len(s)-1]; a <= ' ' || a >= 0x80 || b <= ' ' || b >= 0x80 {
		s = strings.TrimSpace(s)
	}
	s = strings.TrimSuffix(s, ".")
	if ascii.HasUpper(s) {
		return strings.ToLower(s)
	}
	return s
}

// inDomains reports whether host is one of domains or below one.
func inDomains(host string, domains []string) bool {
	if host == "" || len(domains) == 0 {
		return false
	}
	return inNormDomains(normName(host), domains)
}

// inNormDomains is inDomains of a host normName has normalised.
func inNormDomains(host string, domains []string) bool {
	for _, d := range domains {
		if host == d || (strings.HasSuffix(host, d) && len(host) > len(d) && host[len(host)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}

func inNets(a netip.Addr, nets []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
