package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// Field is one header field as the message carries it, top first.
type Field struct {
	// Name is as written, without the colon. Analyze matches it ignoring
	// ASCII case; it shows in the result only as the Header of a vendor
	// field's Verdicts.
	Name  string
	Value string // unfolded
}

// Hop is what Analyze needs of one Received field.
type Hop struct {
	Received *received.Hop
	// Trusted: the hop was written at or inside the trust boundary (a
	// trusted hop or the origin hop, whose receiving server is trusted).
	Trusted bool
}

// Input is a message's header fields and its hops, after the trust walk.
type Input struct {
	// Fields are the header fields in order, Received fields included:
	// their positions place every other field between two hops. Fields
	// [Wants] returns false for only separate the others (a caller may
	// pass them with an empty Name).
	Fields []Field
	// Hops are the parsed Received fields, topmost first, as many as the
	// Received fields in Fields (extra Received fields count as untrusted).
	Hops []Hop
	// Origin is the index of the origin hop; -1 when there is none.
	Origin int
	// LocalDomains are the recipient's own domains; an authserv-id in one
	// names a trusted receiver. Nil means only the trusted hops' names.
	LocalDomains []string
	// Now is the time of analysis, for x= checks when no receipt date is
	// known. Zero means time.Now.
	Now time.Time
}

// Wants reports whether Analyze reads a header field of this name: the
// authentication and vendor fields, the sender identity fields and
// Received.
func Wants(name string) bool { return kindOf(name) != kOther }

// kind classes the fields Analyze reads.
type kind uint8

const (
	kOther kind = iota
	kReceived
	kAR
	kAAR
	kAS
	kAMS
	kDKIM
	kSPF
	kVendor
	kTraceish // fields a receiver writes with its trace fields (Return-Path)
	kIdentity // From, Sender, Reply-To, Message-ID: message fields, read for identities
)

var fieldKinds = [...]struct {
	name string
	k    kind
}{
	{"Received", kReceived},
	{"Authentication-Results", kAR},
	{"ARC-Authentication-Results", kAAR},
	{"ARC-Seal", kAS},
	{"ARC-Message-Signature", kAMS},
	{"DKIM-Signature", kDKIM},
	{"Received-SPF", kSPF},
	{"Return-Path", kTraceish},
	{"Delivered-To", kTraceish},
	{"X-Original-To", kTraceish},
	{"From", kIdentity},
	{"Sender", kIdentity},
	{"Reply-To", kIdentity},
	{"Message-Id", kIdentity},
	{"X-Forefront-Antispam-Report", kVendor},
	{"X-Microsoft-Antispam", kVendor},
	{"X-MS-Exchange-Organization-SCL", kVendor},
	{"X-Spam-Status", kVendor},
	{"X-Spam-Flag", kVendor},
	{"X-Spam-Score", kVendor},
	{"X-Spamd-Result", kVendor},
}

// maxAuthFields caps the authentication and vendor fields Analyze reads
// from one message (the 1,396 messages of the modern corpus carry at most
// a few dozen).
const maxAuthFields = 200

func countAuth(fields []placed) int {
	n := 0
	for _, p := range fields {
		if p.k != kIdentity && p.k != kTraceish {
			n++
		}
	}
	return n
}

// capAuth keeps the identity fields and the first max others.
func capAuth(fields []placed, max int) []placed {
	out := fields[:0]
	n := 0
	for _, p := range fields {
		if p.k != kIdentity && p.k != kTraceish {
			if n++; n > max {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// kindByLen indexes fieldKinds by name length and lower-case first
// letter ('a' to 'z', anything else at 26): kindOf runs on every field.
var kindByLen = func() (t [32][27][]int8) {
	for i, f := range fieldKinds {
		t[len(f.name)][firstSlot(f.name[0])] = append(t[len(f.name)][firstSlot(f.name[0])], int8(i))
	}
	return t
}()

func firstSlot(c byte) int {
	if c = ascii.Lower(c); 'a' <= c && c <= 'z' {
		return int(c - 'a')
	}
	return 26
}

// kindOf classes a field name without allocating.
func kindOf(name string) kind {
	if i := fieldIndex(name); i >= 0 {
		return fieldKinds[i].k
	}
	return kOther
}

// fieldIndex returns the index in fieldKinds of a field name (ASCII case
// ignored: the names are ASCII, and a name of the same length with a
// Unicode look-alike of a letter has fewer runes, so Unicode folding
// matches no more), or -1.
func fieldIndex(name string) int {
	if len(name) >= len(kindByLen) || name == "" {
		return -1
	}
	for _, i := range kindByLen[len(name)][firstSlot(name[0])] {
		if fieldNameKeys[i].matches(name) {
			return int(i)
		}
	}
	return -1
}

// nameKey compares a header field name with one of fieldKinds, ASCII case
// ignored, a machine word at a time: the names are letters and '-', and
// the byte of a letter with bit 0x20 set is its lower case, which no other
// byte becomes. The windows cover the name, the last one overlapping the
// one before it when the length is no multiple of the word.
type nameKey struct {
	wide    bool // 8-byte windows (names of 8 bytes or more), else 4
	n       int  // windows used
	windows [4]struct {
		at         int
		want, mask uint64
	}
}

var fieldNameKeys = func() (t [len(fieldKinds)]nameKey) {
	for i, f := range fieldKinds {
		k := &t[i]
		w := 4
		if len(f.name) >= 8 {
			k.wide, w = true, 8
		}
		var ats []int
		for at := 0; at+w <= len(f.name); at += w {
			ats = append(ats, at)
		}
		if len(f.name)%w != 0 {
			ats = append(ats, len(f.name)-w)
		}
		for j, at := range ats {
			var want, mask uint64
			for b := w - 1; b >= 0; b-- {
				c := f.name[at+b]
				m := byte(0)
				if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
					m = 0x20
				}
				want, mask = want<<8|uint64(c|m), mask<<8|uint64(m)
			}
			k.windows[j].at, k.windows[j].want, k.windows[j].mask = at, want, mask
		}
		k.n = len(ats)
	}
	return t
}()

// matches reports whether name, as long as the key's name, is that name.
func (k *nameKey) matches(name string) bool {
	for _, w := range k.windows[:k.n] {
		var v uint64
		if k.wide {
			v = load64(name, w.at)
		} else {
			v = uint64(load32(name, w.at))
		}
		if v|w.mask != w.want {
			return false
		}
	}
	return true
}

// load64 reads the 8 bytes of s at i as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 reads the 4 bytes of s at i as a little-endian word.
func load32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// placed is a field with where it sits: above = Received fields above it;
// run = it is in the unbroken run of trace fields directly below the
// Received field above it (where a milter or Gmail writes below its own
// Received).
type placed struct {
	f     Field
	k     kind
	name  int // index in fieldKinds
	above int
	run   bool
}

// hopInfo is what attribution caches about a hop's server.
type hopInfo struct {
	org, op string // organisational domain and operator of the by-host; "" if not a domain
	done    bool
	by      string // normDomain of the by-host, once byDone
	byDone  bool
}

// analyzers are reused: their scratch slices hold nothing a result keeps.
var analyzers = sync.Pool{New: func() any { return new(analyzer) }}

type analyzer struct {
	in          *Input
	ev          *Evidence
	hops        []hopInfo // per hop, filled on demand
	placed      []placed
	trusted     []string // by-hosts and org domains of trusted hops
	trustedDone bool
	orgs        [][2]string // orgOf's memory
	bufs        parseBufs   // bufs.strs is the result's, new each analysis
	parsed      []ParsedResults
	arcs        []ARCSet // the ARC sets, in the order met
}

// Analyze reads the authentication evidence of a message: it parses every
// authentication and vendor field, attributes each to the hop whose server
// wrote it, believes it only when that hop is at or inside the trust
// boundary, computes identities and alignment, and runs the cross-checks.
// It does no I/O; see [Verifier] for verification.
func Analyze(in *Input) *Evidence {
	ev := &Evidence{ARCChain: "none"}
	a := analyzers.Get().(*analyzer)
	*a = analyzer{in: in, ev: ev, hops: a.hops, placed: a.placed, trusted: a.trusted[:0], orgs: a.orgs[:0],
		bufs: parseBufs{methods: a.bufs.methods[:0], tags: a.bufs.tags[:0]}, parsed: a.parsed[:0], arcs: a.arcs[:0]}
	defer func() {
		clear(a.placed)
		clear(a.orgs)
		clear(a.bufs.methods[:cap(a.bufs.methods)])
		clear(a.bufs.tags[:cap(a.bufs.tags)])
		clear(a.parsed)
		clear(a.arcs)
		*a = analyzer{hops: a.hops[:0], placed: a.placed[:0], trusted: a.trusted[:0], orgs: a.orgs[:0],
			bufs: parseBufs{methods: a.bufs.methods[:0], tags: a.bufs.tags[:0]}, parsed: a.parsed[:0], arcs: a.arcs[:0]}
		analyzers.Put(a)
	}()
	a.indexHops()
	fields := a.place()
	if n := countAuth(fields); n > maxAuthFields {
		// Real mail carries a few dozen; the checks compare fields in
		// pairs, so a hostile header must not choose their number.
		fields = capAuth(fields, maxAuthFields)
		ev.Findings = append(ev.Findings, Finding{Rule: "auth-fields-capped", Category: CategoryForgedAuthResults, Severity: SeverityLow, Hop: -1,
			Message: fmt.Sprintf("the header carries %d authentication fields; only the top %d were read", n, maxAuthFields)})
	}
	// Size the results from the fields: growing slices of large structs
	// is most of the analysis' allocation. The results fields are parsed
	// first, for their number of methods; the string lists results keep
	// (comments, h= names, the DKIM and header.from domains of the
	// identities) share one array, sized from the '(' and ':' the fields
	// hold.
	var nDKIM, nSPF, nVendor, nStrs int
	hasRes := false
	for _, p := range fields {
		switch p.k {
		case kAR, kAAR:
			hasRes = true
			nStrs += strings.Count(p.f.Value, "(")
		case kDKIM:
			nDKIM++
			nStrs += strings.Count(p.f.Value, ":") + 2 // its h= names, its d=
		case kSPF:
			nSPF++
		case kVendor:
			nVendor += vendorVerdicts(p.name)
		}
	}
	if hasRes {
		nStrs += 2 // header.from domains: a message has one or two
	}
	a.bufs.strs.reserve(nStrs)
	for _, p := range fields {
		if p.k == kAR || p.k == kAAR {
			a.parsed = append(a.parsed, a.bufs.results(p.f.Value, p.k == kAAR))
		}
	}
	if len(a.parsed) > 0 {
		ev.ResultFields = make([]ResultsField, 0, len(a.parsed))
		if len(a.bufs.methods) > 0 {
			ev.Results = make([]Result, 0, len(a.bufs.methods))
		}
	}
	if nDKIM > 0 {
		ev.DKIM = make([]DKIMSignature, 0, nDKIM)
	}
	if nSPF > 0 {
		ev.SPF = make([]ReceivedSPF, 0, nSPF)
	}
	if nVendor > 0 {
		ev.Verdicts = make([]Verdict, 0, nVendor)
	}
	var from, sender, replyTo, msgID, returnPath string
	nParsed := 0
	for _, p := range fields {
		switch p.k {
		case kAR, kAAR:
			a.addResults(p, &a.parsed[nParsed])
			nParsed++
		case kDKIM:
			d := a.bufs.dkim(p.f.Value)
			d.Hop, _ = a.attribute(p, d.Domain, netip.Addr{})
			d.above = p.above
			ev.DKIM = append(ev.DKIM, d)
		case kSPF:
			r := ParseReceivedSPF(p.f.Value)
			r.Hop, r.Attributed = a.attribute(p, domainOf(r.Receiver), r.ClientIP) // mox writes receiver=postmaster@domain
			r.Trusted = a.trustedHop(r.Hop)
			ev.SPF = append(ev.SPF, r)
		case kAS:
			s := a.bufs.arcSeal(p.f.Value)
			if s.instance == 0 {
				a.arcError(s.err)
				continue
			}
			as := a.arcSet(s.instance)
			if as.Seal != "" {
				as.Err = errf("auth: two ARC-Seal fields with i=%d", s.instance)
				continue
			}
			as.Seal, as.CV, as.Domain, as.Selector, as.Algorithm, as.Timestamp = p.f.Value, s.cv, s.domain, s.sel, s.algo, s.timestamp
			as.Hop, _ = a.attribute(p, s.domain, netip.Addr{})
			if s.err != nil && as.Err == nil {
				as.Err = s.err
			}
		case kAMS:
			inst, d, err := a.bufs.amsInfo(p.f.Value)
			if inst == 0 {
				a.arcError(err)
				continue
			}
			as := a.arcSet(inst)
			if as.Signature != "" {
				as.Err = errf("auth: two ARC-Message-Signature fields with i=%d", inst)
				continue
			}
			as.Signature, as.AMSDomain = p.f.Value, d
			if err != nil && as.Err == nil {
				as.Err = err
			}
		case kVendor:
			hop, _ := a.attribute(p, vendorWriter(p.name), netip.Addr{})
			n := len(ev.Verdicts)
			ev.Verdicts = decodeVendor(ev.Verdicts, p.name, p.f.Name, p.f.Value)
			trusted := a.trustedHop(hop)
			for i := n; i < len(ev.Verdicts); i++ {
				ev.Verdicts[i].Hop, ev.Verdicts[i].Trusted = hop, trusted
			}
		case kIdentity, kTraceish:
			switch fieldKinds[p.name].name {
			case "From":
				from = first(from, p.f.Value)
			case "Sender":
				sender = first(sender, p.f.Value)
			case "Reply-To":
				replyTo = first(replyTo, p.f.Value)
			case "Message-Id":
				msgID = first(msgID, p.f.Value)
			case "Return-Path":
				returnPath = first(returnPath, p.f.Value)
			}
		}
	}
	a.dedupeClaims()
	// ARC results belong to their set.
	for i := range ev.ResultFields {
		rf := &ev.ResultFields[i]
		if rf.Header == "ARC-Authentication-Results" && rf.Instance > 0 {
			s := a.arcSet(rf.Instance)
			if s.Results != "" {
				s.Err = errf("auth: two ARC-Authentication-Results fields with i=%d", rf.Instance)
				continue
			}
			s.Results = rf.Raw
		}
	}
	if len(a.arcs) > 0 {
		sortARC(a.arcs)
		ev.ARC = append([]ARCSet(nil), a.arcs...)
	}
	a.identities(from, sender, replyTo, msgID, returnPath)
	a.align(nil)
	a.checks()
	return ev
}

// arcSet returns the ARC set of instance i, made when first asked for;
// the pointer is good until the next call.
func (a *analyzer) arcSet(i int) *ARCSet {
	for k := range a.arcs {
		if a.arcs[k].Instance == i {
			return &a.arcs[k]
		}
	}
	a.arcs = append(a.arcs, ARCSet{Instance: i, Hop: -1, Verify: "none"})
	return &a.arcs[len(a.arcs)-1]
}

// sortARC orders the sets by instance (a chain has a few).
func sortARC(s []ARCSet) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Instance < s[j-1].Instance; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func first(have, v string) string {
	if have != "" {
		return have
	}
	return v
}

func (a *analyzer) arcError(err error) {
	if err == nil {
		return
	}
	a.ev.Findings = append(a.ev.Findings, Finding{
		Rule: "arc-unreadable", Category: CategoryARCBroken, Severity: SeverityLow, Hop: -1,
		Message: "an ARC field cannot be read: " + err.Error(),
	})
}

// vendorWriter names the operator a vendor field's header name implies,
// by its index in fieldKinds.
func vendorWriter(name int) string {
	switch fieldKinds[name].name {
	case "X-Forefront-Antispam-Report", "X-Microsoft-Antispam", "X-MS-Exchange-Organization-SCL":
		return "microsoft.com"
	}
	return ""
}

// indexHops sizes the per-hop caches; each hop's organisational domain is
// computed the first time a field asks (most messages have few fields to
// attribute, and the public suffix lookup is the costly part).
func (a *analyzer) indexHops() {
	n := len(a.in.Hops)
	if cap(a.hops) < n {
		a.hops = make([]hopInfo, n)
	}
	a.hops = a.hops[:n]
	clear(a.hops)
}

// byHost returns hop h's by-host as normDomain gives it, worked out once
// a trace (a field's writer is compared with every hop's).
func (a *analyzer) byHost(h int) string {
	hi := &a.hops[h]
	if !hi.byDone {
		hi.byDone = true
		if r := a.in.Hops[h].Received; r != nil {
			hi.by = normDomain(r.By.Host)
		}
	}
	return hi.by
}

// org returns hop h's by-host organisational domain and operator; "" when
// the by-host is no domain name.
func (a *analyzer) org(h int) (string, string) {
	hi := &a.hops[h]
	if !hi.done {
		hi.done = true
		if a.in.Hops[h].Received != nil {
			host := a.byHost(h)
			if host != "" && strings.Contains(host, ".") && !isIPText(host) {
				hi.org = a.orgOf(host)
				hi.op = operatorOf(hi.org)
			}
		}
	}
	return hi.org, hi.op
}

// trustedNames lists the by-hosts and organisational domains of the
// trusted hops, once.
func (a *analyzer) trustedNames() []string {
	if a.trustedDone {
		return a.trusted
	}
	a.trustedDone = true
	for i, h := range a.in.Hops {
		if !h.Trusted || h.Received == nil {
			continue
		}
		if org, _ := a.org(i); org != "" {
			a.trusted = append(a.trusted, a.byHost(i), org)
		}
	}
	return a.trusted
}

// isIPText reports whether s is an IP address, "IPv6:" before it allowed.
// A name without ':' holding a byte that is no digit or '.' is no IPv4
// address and no IPv6 one: it is rejected without parsing (a failed parse
// allocates its error).
func isIPText(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != '.' && (c < '0' || c > '9') {
				return false
			}
		}
	}
	_, err := netip.ParseAddr(strings.TrimPrefix(lower(s), "ipv6:"))
	return err == nil
}

// place gives each wanted field its position among the Received fields.
func (a *analyzer) place() []placed {
	out := a.placed[:0]
	above, run := 0, false
	for _, f := range a.in.Fields {
		i, k := -1, kOther
		if f.Name != "" { // a field of a kind the caller knows Analyze skips
			i = fieldIndex(f.Name)
		}
		if i >= 0 {
			k = fieldKinds[i].k
		}
		switch k {
		case kReceived:
			above++
			run = true
			continue
		case kOther:
			run = false
			continue
		case kIdentity:
			run = false
		}
		out = append(out, placed{f: f, k: k, name: i, above: above, run: run && above > 0})
	}
	a.placed = out
	return out
}

// trustedHop reports whether hop h was written at or inside the trust
// boundary: a trusted hop, or a hop a trusted server wrote when it handed
// the message to itself (see localHandoff).
func (a *analyzer) trustedHop(h int) bool {
	if h < 0 || h >= len(a.in.Hops) {
		return false
	}
	if a.in.Hops[h].Trusted {
		return true
	}
	return h > 0 && a.localHandoff(h-1) && a.in.Hops[h].Received != nil &&
		sameHost(a.in.Hops[h].Received.By.Host, a.in.Hops[h-1].Received.By.Host)
}

// localHandoff reports whether trusted hop k records its client by no
// usable address, or by a loopback one (LMTP delivery, a content filter,
// a locally made message): its client is the same machine, and what that
// machine wrote below hop k was written by the trusted server. The trust
// walk may stop at such a hop for want of a client address.
func (a *analyzer) localHandoff(k int) bool {
	if k < 0 || k >= len(a.in.Hops) || !a.in.Hops[k].Trusted || a.in.Hops[k].Received == nil {
		return false
	}
	ip := a.in.Hops[k].Received.From.IP
	return !ip.IsValid() || ip.IsLoopback()
}

func sameHost(a, b string) bool {
	a, b = normDomain(a), normDomain(b)
	return a != "" && a == b && strings.Contains(a, ".")
}

// match scores how well a writer's name fits the server of hop h: 3 the
// same host, 2 the same organisational domain, 1 the same operator, 0 none.
func (a *analyzer) match(writer string, worg string, h int) int {
	if h < 0 || h >= len(a.in.Hops) || a.in.Hops[h].Received == nil || writer == "" {
		return 0
	}
	if a.byHost(h) == writer {
		return 3
	}
	org, op := a.org(h)
	switch {
	case org == "":
		return 0
	case org == worg:
		return 2
	case op == operatorOf(worg):
		return 1
	}
	return 0
}

// attribute finds the hop whose server wrote a field: the hop below it (a
// receiver prepends its fields above its Received) or, for a field in the
// run directly below a Received field, that hop (milters and Gmail insert
// below their own Received). The writer's name decides between them; an
// IP the field records (Received-SPF client-ip) breaks ties; with no
// name, the hop below. A field below every Received field was written
// before the first hop: -1.
func (a *analyzer) attribute(p placed, writer string, ip netip.Addr) (int, Attribution) {
	n := len(a.in.Hops)
	below, above := -1, -1
	if p.above < n {
		below = p.above
	}
	if p.run && p.above-1 < n {
		above = p.above - 1
	}
	writer = normDomain(writer)
	worg := a.orgOf(writer)
	sb, sa := a.match(writer, worg, below), a.match(writer, worg, above)
	pick := below
	score := sb
	if sa > sb || (sa == sb && sa > 0 && ip.IsValid() && a.clientIs(above, ip) && !a.clientIs(below, ip)) {
		pick, score = above, sa
	}
	// A writer that is exactly another hop's server is not a neighbour's
	// sibling host: "mx.google.com" under smtp.gmail.com's Received was
	// not written there by smtp.gmail.com.
	if score > 0 && score < 3 && a.hostElsewhere(writer, below, above) {
		score = 0
	}
	switch score {
	case 3:
		return pick, AttrHost
	case 2:
		return pick, AttrDomain
	case 1:
		return pick, AttrOperator
	}
	if below < 0 {
		// Below every Received field: written before the first hop,
		// unless the lowest hop is a trusted server's local handoff
		// (a message made on it) and the field names that server.
		if k := len(a.in.Hops) - 1; k >= 0 && a.localHandoff(k) && writer != "" && sameHost(writer, a.in.Hops[k].Received.By.Host) {
			return k, AttrHost
		}
		if above >= 0 && ip.IsValid() && a.clientIs(above, ip) {
			return above, AttrPosition
		}
		// An operator that appends its fields at the end of the header
		// wrote it at its most recent hop.
		if appendsAtEnd[operatorOf(worg)] == p.k {
			for h := range a.in.Hops {
				if s := a.match(writer, worg, h); s > 0 {
					return h, [...]Attribution{AttrPosition, AttrOperator, AttrDomain, AttrHost}[s]
				}
			}
		}
	}
	return below, AttrPosition
}

// appendsAtEnd are the operators that add fields below the message's own
// rather than at the top: Mimecast its Authentication-Results (seen on
// every relay.mimecast.com pass in the corpus); Exchange Online its
// X-Forefront-Antispam-Report, X-Microsoft-Antispam and
// X-MS-Exchange-Organization-* fields, which it places among the
// message's fields. (Exchange's "header firewall" removes
// X-MS-Exchange-Organization-* fields from mail entering an organisation
// from outside, Microsoft documents, so a copy the sender wrote does not
// survive; for X-Forefront-Antispam-Report no such removal is documented.)
// Each operator's entry is the kind of field it appends; its other fields
// (Exchange Online's Authentication-Results, above the edge's Received)
// follow the general rule, so a copy the sender wrote is not believed.
var appendsAtEnd = map[string]kind{"mimecast": kAR, "microsoft": kVendor}

// orgOf is attribOrg remembered for the analysis: a message names the same
// writers again and again.
func (a *analyzer) orgOf(name string) string {
	if name == "" {
		return ""
	}
	for _, e := range a.orgs {
		if e[0] == name {
			return e[1]
		}
	}
	o := attribOrg(name)
	a.orgs = append(a.orgs, [2]string{name, o})
	return o
}

// hostElsewhere reports whether writer is the by-host of a hop other than
// the two candidates.
func (a *analyzer) hostElsewhere(writer string, below, above int) bool {
	for h, hop := range a.in.Hops {
		if h != below && h != above && hop.Received != nil && a.byHost(h) == writer {
			return true
		}
	}
	return false
}

func (a *analyzer) clientIs(h int, ip netip.Addr) bool {
	return h >= 0 && h < len(a.in.Hops) && a.in.Hops[h].Received != nil && a.in.Hops[h].Received.From.IP.Unmap() == ip.Unmap()
}

func (a *analyzer) addResults(p placed, pr *ParsedResults) {
	arc := p.k == kAAR
	header := "Authentication-Results"
	if arc {
		header = "ARC-Authentication-Results"
	}
	writer := pr.AuthservID
	if writer == "" && !arc && p.k == kAR && microsoftStyle(pr) {
		writer = "microsoft.com"
	}
	hop, how := a.attribute(p, writer, resultsClientIP(pr))
	trusted := a.trustedHop(hop)
	idx := len(a.ev.ResultFields)
	a.ev.ResultFields = append(a.ev.ResultFields, ResultsField{
		Header: header, Hop: hop, Attributed: how, AuthservID: pr.AuthservID, Version: pr.Version,
		Instance: pr.Instance, Trusted: trusted, Raw: p.f.Value, Err: pr.Err, above: p.above,
	})
	for _, m := range pr.Methods {
		a.ev.Results = append(a.ev.Results, Result{
			Header: header, Field: idx, Hop: hop, Attributed: how, AuthservID: pr.AuthservID,
			Instance: pr.Instance, Trusted: trusted, Method: m.Name, Result: m.Result,
			Reason: m.Reason, Properties: m.Properties, Comments: m.Comments, Raw: p.f.Value,
		})
	}
}

// microsoftStyle reports whether a results field without an authserv-id
// has Microsoft's shape: "spf=... (sender IP is ...)" or a compauth
// method.
func microsoftStyle(pr *ParsedResults) bool {
	for _, m := range pr.Methods {
		if m.Name == "compauth" {
			return true
		}
		for _, c := range m.Comments {
			if strings.HasPrefix(c, "sender IP is") {
				return true
			}
		}
	}
	return false
}

// resultsClientIP is the client address a results field records
// (smtp.client-ip, policy.iprev, Microsoft's "sender IP is" comment).
func resultsClientIP(pr *ParsedResults) netip.Addr {
	for _, m := range pr.Methods {
		for _, k := range [...]string{"smtp.client-ip", "policy.iprev", "smtp.remote-ip"} {
			if v, ok := m.Properties[k]; ok {
				if ip, err := netip.ParseAddr(v); err == nil {
					return ip.Unmap()
				}
			}
		}
		for _, c := range m.Comments {
			if s, ok := strings.CutPrefix(c, "sender IP is "); ok {
				if ip, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
					return ip.Unmap()
				}
			}
		}
	}
	return netip.Addr{}
}

// claim is how strongly a writer's name names a trusted receiver.
type claim uint8

const (
	claimNone claim = iota
	// claimSibling: another host in a trusted hop's organisational domain
	// (it may be the organisation's own relay the trust walk did not
	// reach).
	claimSibling
	// claimTrusted: a trusted hop's by-host, its organisational domain
	// itself, or a local domain or a name below one.
	claimTrusted
)

func (a *analyzer) namesTrusted(writer string) claim {
	w := normDomain(writer)
	if w == "" {
		return claimNone
	}
	for _, d := range a.in.LocalDomains {
		if d = normDomain(d); w == d || strings.HasSuffix(w, "."+d) {
			return claimTrusted
		}
	}
	// The authserv-id a trusted results field carries is a trusted
	// receiver's, whatever its host name (Proton's mail.protonmail.ch on
	// mailin048.protonmail.ch's hop).
	for _, rf := range a.ev.ResultFields {
		if rf.Trusted && rf.AuthservID == w {
			return claimTrusted
		}
	}
	c := claimNone
	org := attribOrg(w)
	for _, t := range a.trustedNames() {
		if w == t {
			return claimTrusted
		}
		if org == t {
			c = claimSibling
		}
	}
	return c
}

// dedupeClaims settles two Authentication-Results fields with one
// authserv-id given to one hop that report the same method. A server
// reports each method once for a message; the slot above its Received
// field (where it prepends) cannot be written by the sender, the slot
// below it (where milters and Gmail write) can. So when the hop has a
// field in its prepend slot, a field in its milter slot reporting a method
// the prepend-slot field reports too is not its own, and is given to the
// hop below, by position; so is the lower of two fields in the milter slot
// that report one method, since the receiver inserts directly below its
// Received and what lies further down was there before. (A server may
// write both slots, and several fields in one, each with other methods:
// subspace.kernel.org writes dkim above its Received, dmarc and spf below.) Two fields in
// the milter slot are both kept: several milters (SPF, DKIM, DMARC) each
// write one under one authserv-id, and an injected field there cannot be
// told from theirs by position.
func (a *analyzer) dedupeClaims() {
	rfs := a.ev.ResultFields
	for i := range rfs {
		ri := &rfs[i]
		if ri.Header != "Authentication-Results" || ri.AuthservID == "" || ri.Hop < 0 || ri.above != ri.Hop+1 {
			continue // only a field in a milter slot can lose its hop
		}
		for j := range rfs {
			rj := &rfs[j]
			if j == i || rj.Header != ri.Header || rj.Hop != ri.Hop {
				continue
			}
			// The prepend slot settles it whoever signed the other field
			// (Exchange Online writes no authserv-id); two fields in the
			// milter slot must name one writer.
			prepend := rj.above == rj.Hop
			lower := rj.above == ri.above && j < i && rj.AuthservID == ri.AuthservID
			if (prepend || lower) && a.sameMethod(i, j) {
				a.reattribute(i)
				break
			}
		}
	}
}

func (a *analyzer) reattribute(i int) {
	rf := &a.ev.ResultFields[i]
	rf.Hop = rf.above
	if rf.Hop >= len(a.in.Hops) {
		rf.Hop = -1
	}
	rf.Attributed = AttrPosition
	rf.Trusted = a.trustedHop(rf.Hop)
	for k := range a.ev.Results {
		if r := &a.ev.Results[k]; r.Field == i {
			r.Hop, r.Attributed, r.Trusted = rf.Hop, rf.Attributed, rf.Trusted
		}
	}
}

// sameMethod reports whether results fields i and j report a method in
// common.
func (a *analyzer) sameMethod(i, j int) bool {
	for _, ri := range a.ev.Results {
		if ri.Field != i {
			continue
		}
		for _, rj := range a.ev.Results {
			if rj.Field == j && rj.Method == ri.Method {
				return true
			}
		}
	}
	return false
}
