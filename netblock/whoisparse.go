package netblock

import (
	"net/netip"
	"strconv"
	"strings"

	"go4.org/netipx"
)

// attr is one "key: value" line of a whois answer (continuation lines
// joined).
type attr struct{ key, val string }

// object is a run of attributes between blank lines.
type object []attr

func (o object) get(key string) string {
	for _, a := range o {
		if strings.EqualFold(a.key, key) {
			return a.val
		}
	}
	return ""
}

func (o object) all(key string) []string {
	var out []string
	for _, a := range o {
		if strings.EqualFold(a.key, key) {
			out = append(out, a.val)
		}
	}
	return out
}

// maxRefs caps how many distinct values of one reference attribute
// (abuse-c, mnt-irt, admin-c...) are resolved, so that a hostile answer
// repeating one cannot make the parse quadratic.
const maxRefs = 8

// refs returns the distinct values of key, at most maxRefs of them.
func (o object) refs(key string) []string {
	var out []string
	for _, a := range o {
		if !strings.EqualFold(a.key, key) || a.val == "" {
			continue
		}
		dup := false
		for _, v := range out {
			if strings.EqualFold(v, a.val) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a.val)
			if len(out) == maxRefs {
				break
			}
		}
	}
	return out
}

// WhoisAnswer is a whois answer read into objects.
type whoisAnswer struct {
	objects  []object
	comments []string // lines starting with '%' or '#'
}

// splitWhois reads a whois answer (RFC 3912 leaves the format to each
// registry): RPSL objects (RIPE, APNIC, AFRINIC, LACNIC, NIC.br), ARIN's
// "Key: value" blocks, KRNIC's "Key   : value" and JPNIC's
// "a. [Key]   value" lines. Blank lines and "----" rules end objects.
func splitWhois(s string) whoisAnswer {
	var w whoisAnswer
	var cur object
	flush := func() {
		if len(cur) > 0 {
			w.objects = append(w.objects, cur)
			cur = nil
		}
	}
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		line = strings.TrimRight(line, "\r \t")
		if line == "" || strings.HasPrefix(line, "----") || strings.HasPrefix(line, "[ ") && strings.HasSuffix(line, " ]") {
			flush()
			continue
		}
		switch line[0] {
		case '%', '#':
			w.comments = append(w.comments, line)
			continue
		case ' ', '\t', '+':
			// continuation of the previous attribute
			if len(cur) > 0 {
				v := strings.TrimSpace(strings.TrimPrefix(line, "+"))
				if cur[len(cur)-1].val == "" {
					cur[len(cur)-1].val = v
				} else if v != "" {
					cur[len(cur)-1].val += " " + v
				}
			}
			continue
		}
		if k, v, ok := jpnicLine(line); ok {
			cur = append(cur, attr{k, v})
			continue
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 || i > 40 {
			continue
		}
		key := strings.TrimSpace(line[:i])
		if !isKey(key) {
			continue
		}
		cur = append(cur, attr{key, strings.TrimSpace(line[i+1:])})
	}
	flush()
	return w
}

// jpnicLine reads "a. [Network Number]   133.1.0.0/16" and "[Last Update] x".
func jpnicLine(line string) (string, string, bool) {
	s := line
	if len(s) > 3 && s[1] == '.' && s[2] == ' ' && s[0] >= 'a' && s[0] <= 'z' {
		s = s[3:]
	}
	if len(s) < 3 || s[0] != '[' {
		return "", "", false
	}
	j := strings.IndexByte(s, ']')
	if j < 0 {
		return "", "", false
	}
	return s[1:j], strings.TrimSpace(s[j+1:]), true
}

func isKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ' ' || c == '.') {
			return false
		}
	}
	return true
}

// networkKeys are the attributes that start a network object.
var networkKeys = []string{"inetnum", "inet6num", "NetRange", "IPv4 Address", "IPv6 Address", "Network Number"}

func networkRange(o object) (netipx.IPRange, string, bool) {
	for _, k := range networkKeys {
		v := o.get(k)
		if v == "" {
			continue
		}
		if r, ok := parseRange(v); ok {
			return r, k, true
		}
	}
	return netipx.IPRange{}, "", false
}

// parseRange reads "a - b", "a/len" (also LACNIC's "200.57.128/19" with
// missing octets), ARIN's zero-padded addresses, and KRNIC's
// "a - b (/12+/13)".
func parseRange(v string) (netipx.IPRange, bool) {
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	if i := strings.Index(v, " - "); i > 0 {
		a, ok1 := parseAddr(strings.TrimSpace(v[:i]))
		b, ok2 := parseAddr(strings.TrimSpace(v[i+3:]))
		if ok1 && ok2 && a.BitLen() == b.BitLen() && a.Compare(b) <= 0 {
			return netipx.IPRangeFrom(a, b), true
		}
		return netipx.IPRange{}, false
	}
	if i := strings.IndexByte(v, ','); i > 0 {
		v = v[:i] // ARIN "CIDR: a/x, b/y": the caller reads NetRange first
	}
	if p, ok := parseCIDR(strings.TrimSpace(v)); ok {
		return netipx.RangeOfPrefix(p), true
	}
	return netipx.IPRange{}, false
}

func parseCIDR(v string) (netip.Prefix, bool) {
	i := strings.IndexByte(v, '/')
	if i < 0 {
		return netip.Prefix{}, false
	}
	bits, err := strconv.Atoi(v[i+1:])
	if err != nil {
		return netip.Prefix{}, false
	}
	addr := v[:i]
	if !strings.Contains(addr, ":") {
		// LACNIC writes 200.57.128/19
		for strings.Count(addr, ".") < 3 {
			addr += ".0"
		}
	}
	a, ok := parseAddr(addr)
	if !ok {
		return netip.Prefix{}, false
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

// parseAddr parses an address, accepting ARIN's zero-padded IPv4 octets
// ("074.125.000.000") and a trailing "/len" (RIPE RDAP start addresses).
func parseAddr(s string) (netip.Addr, bool) {
	if i := strings.IndexByte(s, '/'); i > 0 {
		s = s[:i]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || len(p) > 3 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// prefixFor returns the CIDR block of r that holds a, or the first block
// when a is outside r.
func prefixFor(r netipx.IPRange, a netip.Addr) netip.Prefix {
	ps := r.Prefixes()
	for _, p := range ps {
		if p.Contains(a) {
			return p
		}
	}
	if len(ps) > 0 {
		return ps[0]
	}
	return netip.Prefix{}
}

func rangeSize(r netipx.IPRange) (hi, lo uint64) {
	a, b := r.From().As16(), r.To().As16()
	var x, y [2]uint64
	for i := 0; i < 8; i++ {
		x[0] = x[0]<<8 | uint64(a[i])
		y[0] = y[0]<<8 | uint64(b[i])
		x[1] = x[1]<<8 | uint64(a[8+i])
		y[1] = y[1]<<8 | uint64(b[8+i])
	}
	lo = y[1] - x[1]
	hi = y[0] - x[0]
	if y[1] < x[1] {
		hi--
	}
	return hi, lo
}

func smaller(a, b netipx.IPRange) bool {
	ah, al := rangeSize(a)
	bh, bl := rangeSize(b)
	return ah < bh || ah == bh && al < bl
}

// rateLimitMarkers are phrases registries use to refuse a query for load.
var rateLimitMarkers = []string{
	"query rate limit exceeded", "rate limit exceeded", "%error:201: access denied",
	"access denied", "exceeded the maximum", "too many queries", "queries exceeded",
	"query limit", "temporarily denied", "please try again later",
}

var notFoundMarkers = []string{
	"no match", "not found", "no entries found", "%error:101: no entries found", "no data found", "invalid ip address",
}

// whoisResult is what one whois answer says.
type whoisResult struct {
	nb       *Netblock
	referral string // a referral target as written ("whois.ripe.net", "whois://x:43", "rwhois://...")
	noAbuse  bool   // the registry said it has no abuse contact
}

// parseWhois reads one whois answer about addr. It returns ErrRateLimited,
// ErrEmptyAnswer or ErrNotFound when the answer says so; a referral when it
// names another server; otherwise the most specific network holding addr
// with its registered contacts.
func parseWhois(answer string, addr netip.Addr) (whoisResult, error) {
	var res whoisResult
	trimmed := strings.TrimSpace(answer)
	if trimmed == "" {
		return res, ErrEmptyAnswer
	}
	lower := strings.ToLower(trimmed)
	w := splitWhois(answer)
	// Referrals.
	for _, o := range w.objects {
		for _, a := range o {
			switch strings.ToLower(a.key) {
			case "referralserver", "refer", "whois":
				if res.referral == "" && a.val != "" {
					res.referral = a.val
				}
			}
		}
	}
	// The most specific network holding addr.
	best, bestIdx := netipx.IPRange{}, -1
	var ranges []netipx.IPRange
	for i, o := range w.objects {
		r, _, ok := networkRange(o)
		if !ok {
			continue
		}
		ranges = append(ranges, r)
		if addr.IsValid() && !r.Contains(addr) {
			continue
		}
		if bestIdx < 0 || smaller(r, best) {
			best, bestIdx = r, i
		}
	}
	if bestIdx < 0 {
		for _, m := range rateLimitMarkers {
			if strings.Contains(lower, m) {
				return res, ErrRateLimited
			}
		}
		if res.referral != "" {
			return res, nil
		}
		for _, m := range notFoundMarkers {
			if strings.Contains(lower, m) {
				return res, ErrNotFound
			}
		}
		return res, ErrTruncated
	}
	net := w.objects[bestIdx]
	nb := &Netblock{First: best.From(), Last: best.To(), Source: SourceWhois, Raw: answer}
	nb.Prefix = prefixFor(best, addr)
	if addr.IsValid() {
		nb.Prefix = prefixFor(best, addr)
	}
	// The parent: the smallest other range that covers this one.
	var parent netipx.IPRange
	for _, r := range ranges {
		if r == best || !r.Contains(best.From()) || !r.Contains(best.To()) {
			continue
		}
		if !parent.IsValid() || smaller(r, parent) {
			parent = r
		}
	}
	if parent.IsValid() {
		nb.ParentRange = parent.From().String() + " - " + parent.To().String()
		if p, ok := parent.Prefix(); ok {
			nb.Parent = p
		} else if p := prefixFor(parent, best.From()); p.Bits() < nb.Prefix.Bits() {
			nb.Parent = p
		}
	}
	nb.Name = firstOf(net, "netname", "NetName", "Network Name", "Service Name")
	nb.Country = strings.ToUpper(firstOf(net, "country", "Country"))
	nb.Org = firstOf(net, "OrgName", "owner", "Organization Name", "Organization", "CustName", "org-name")
	// ARIN puts the organisation and its contacts in the blocks after the
	// network, up to the next network.
	group := arinGroup(w.objects, bestIdx)
	if nb.Org == "" {
		nb.Org = groupFirst(group, "OrgName", "CustName", "org-name")
	}
	if nb.Org == "" {
		if org := net.get("org"); org != "" {
			if o := findObject(w.objects, "organisation", org); o != nil {
				nb.Org = o.get("org-name")
			}
		}
	}
	if nb.Org == "" {
		nb.Org = net.get("descr")
	}
	if nb.Country == "" {
		nb.Country = strings.ToUpper(groupFirst(group, "Country"))
	}
	if as := firstOf(net, "OriginAS", "origin"); as != "" {
		nb.OriginASN = parseASN(as)
	}
	nb.Abuse = whoisContacts(w, net, group)
	for _, c := range w.comments {
		if strings.Contains(strings.ToLower(c), "no abuse contact registered") {
			res.noAbuse = true
		}
	}
	res.nb = nb
	return res, nil
}

func firstOf(o object, keys ...string) string {
	for _, k := range keys {
		if v := o.get(k); v != "" {
			return v
		}
	}
	return ""
}

func groupFirst(g []object, keys ...string) string {
	for _, o := range g {
		if v := firstOf(o, keys...); v != "" {
			return v
		}
	}
	return ""
}

// arinGroup returns the objects after the network at i up to the next
// network object (ARIN's org and point-of-contact blocks).
func arinGroup(objs []object, i int) []object {
	var g []object
	for j := i + 1; j < len(objs); j++ {
		if _, _, ok := networkRange(objs[j]); ok {
			break
		}
		g = append(g, objs[j])
	}
	return g
}

// findObject finds the object whose class attribute (its first key, or
// nic-hdl) names handle.
func findObject(objs []object, class, handle string) object {
	for _, o := range objs {
		if len(o) == 0 {
			continue
		}
		if class != "" && strings.EqualFold(o[0].key, class) && strings.EqualFold(o[0].val, handle) {
			return o
		}
		for _, k := range []string{"nic-hdl", "nic-hdl-br", "irt", "organisation"} {
			if v := o.get(k); v != "" && strings.EqualFold(v, handle) {
				return o
			}
		}
	}
	return nil
}

func parseASN(s string) uint32 {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "AS"), "as")
	if i := strings.IndexAny(s, " ,"); i > 0 {
		s = s[:i]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// whoisContacts collects the registered abuse contacts of a whois answer,
// best first, then addresses found only in remarks.
func whoisContacts(w whoisAnswer, net object, group []object) []Contact {
	var out []Contact
	seen := map[string]bool{}
	add := func(email string, src Source, handle, scope string) {
		email = cleanEmail(email)
		if email == "" || seen[strings.ToLower(email)] {
			return
		}
		seen[strings.ToLower(email)] = true
		out = append(out, Contact{Email: email, Source: src, Handle: handle, Scope: scope})
	}
	// RIPE, AFRINIC, APNIC: "% Abuse contact for 'range' is 'x@y'".
	for _, c := range w.comments {
		lc := strings.ToLower(c)
		if i := strings.Index(lc, "abuse contact for"); i >= 0 {
			if j := strings.LastIndex(c, " is "); j > i {
				add(strings.Trim(strings.TrimSpace(c[j+4:]), "'\""), SourceWhois, "", "abuse-c")
			}
		}
	}
	// abuse-c and mnt-irt references.
	for _, h := range net.refs("abuse-c") {
		if o := findObject(w.objects, "", h); o != nil {
			add(firstOf(o, "abuse-mailbox", "e-mail", "email"), SourceWhois, h, "abuse-c")
		}
	}
	for _, h := range net.refs("mnt-irt") {
		if o := findObject(w.objects, "irt", h); o != nil {
			add(firstOf(o, "abuse-mailbox", "e-mail"), SourceWhois, h, "irt")
		}
	}
	for _, v := range net.refs("abuse-mailbox") {
		add(v, SourceWhois, "", "abuse")
	}
	// ARIN: the organisation's abuse point of contact.
	for _, o := range group {
		if e := o.get("OrgAbuseEmail"); e != "" {
			add(e, SourceWhois, o.get("OrgAbuseHandle"), "org-abuse")
		}
		if e := o.get("RAbuseEmail"); e != "" {
			add(e, SourceWhois, o.get("RAbuseHandle"), "abuse")
		}
	}
	// The organisation object's abuse-c (RIPE puts it there).
	if org := net.get("org"); org != "" {
		if o := findObject(w.objects, "organisation", org); o != nil {
			for _, h := range o.refs("abuse-c") {
				if r := findObject(w.objects, "", h); r != nil {
					add(firstOf(r, "abuse-mailbox", "e-mail"), SourceWhois, h, "abuse-c")
				}
			}
		}
	}
	// Roles the network names as admin or tech contact that carry an
	// abuse-mailbox (the form older RIPE objects use).
	for _, k := range []string{"admin-c", "tech-c", "owner-c"} {
		for _, h := range net.refs(k) {
			if o := findObject(w.objects, "", h); o != nil {
				if e := o.get("abuse-mailbox"); e != "" {
					add(e, SourceWhois, h, "abuse")
				}
			}
		}
	}
	// KRNIC and JPNIC list one contact e-mail with the network.
	if len(out) == 0 {
		for _, o := range w.objects {
			if e := firstOf(o, "E-Mail", "E-mail", "Abuse"); strings.Contains(e, "@") {
				add(e, SourceWhois, "", "contact")
				break
			}
		}
	}
	// Anything else: addresses that appear only in remarks, last.
	for _, o := range append([]object{net}, group...) {
		for _, k := range []string{"remarks", "descr", "Comment"} {
			for _, v := range o.all(k) {
				for _, f := range strings.Fields(v) {
					if strings.Contains(f, "@") {
						add(f, SourceRemarks, "", "remarks")
					}
				}
			}
		}
	}
	return out
}

// cleanEmail trims punctuation around an address and checks its shape.
func cleanEmail(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>()[]'\",;:.")
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || !strings.Contains(s[at:], ".") || strings.ContainsAny(s, " \t") {
		return ""
	}
	return s
}

// rangePrefixes splits [first, last] into CIDR blocks.
func rangePrefixes(first, last netip.Addr) []netip.Prefix {
	r := netipx.IPRangeFrom(first, last)
	if !r.IsValid() {
		return nil
	}
	return r.Prefixes()
}
