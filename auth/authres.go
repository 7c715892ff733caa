package auth

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsedResults is one Authentication-Results (RFC 8601 §2.2) or
// ARC-Authentication-Results (RFC 8617 §4.1.1) value.
type ParsedResults struct {
	AuthservID string
	Version    string
	Instance   int // i= of an ARC-Authentication-Results; 0 otherwise
	Methods    []Method
	Raw        string
	// Err is the first problem found; methods before and after a bad one
	// are kept.
	Err error
}

// Method is one resinfo: method=result with its reason, properties and
// comments.
type Method struct {
	Name       string // lower-cased, without a method version
	Result     string // lower-cased
	Reason     string
	Properties map[string]string // "ptype.property" lower-cased -> value as written
	Comments   []string
}

// knownResults are the result values of the IANA Email Authentication
// Result Names registry (RFC 8601 §2.7, RFC 7208 §2.6, RFC 6376 via
// RFC 8601), plus "hardfail" (RFC 5451's SPF name still written by some
// MTAs) and Microsoft's "bestguesspass" (a DMARC pass inferred without a
// published record) and "softpass" (compauth), both documented in
// Microsoft's anti-spam message headers page.
var knownResults = map[string]bool{
	"pass": true, "fail": true, "softfail": true, "neutral": true, "none": true,
	"temperror": true, "permerror": true, "policy": true, "hardfail": true,
	"bestguesspass": true, "softpass": true,
}

// maxMethods caps the results read from one field (real fields carry up
// to a dozen).
const maxMethods = 64

// ParseResults parses an Authentication-Results value; arc says it is an
// ARC-Authentication-Results value, which starts with "i=N;".
//
// Departures from RFC 8601, each seen in real mail: a value whose first
// item is already method=result has no authserv-id (Microsoft writes
// "spf=pass (sender IP is ...) smtp.mailfrom=..."); a property without a
// ptype ("action=none", Microsoft's "reason=100" after compauth) is kept
// under its bare name; method names and results are lower-cased.
func ParseResults(v string, arc bool) ParsedResults {
	var b parseBufs
	return b.results(v, arc)
}

// parseBufs are the buffers the parsers fill. methods and tags are
// scratch, reused from field to field: what a result keeps of them is
// copied out (ParsedResults.Methods is a part of methods, valid until the
// next reset). strs holds the string lists results keep.
type parseBufs struct {
	methods []Method
	tags    []Tag
	strs    strArena
}

// results is ParseResults, its methods appended to b.methods.
func (b *parseBufs) results(v string, arc bool) ParsedResults {
	p := ParsedResults{Raw: v}
	first := len(b.methods)
	item, rest, more := cutTop(v, ';')
	next := func() bool {
		if !more {
			return false
		}
		item, rest, more = cutTop(rest, ';')
		return true
	}
	have := true // item is unread
	if arc {
		inst, err := parseInstance(item)
		p.Instance = inst
		if err != nil {
			p.Err = err
		}
		have = next()
	}
	if have && !looksLikeMethod(item) {
		c := cursor{s: item}
		if err := c.skipCFWS(nil); err != nil && p.Err == nil {
			p.Err = err
		}
		id, err := c.value("")
		if err != nil && p.Err == nil {
			p.Err = err
		}
		p.AuthservID = lower(id)
		c.skipCFWS(nil)
		if ver := c.token(""); ver != "" {
			if _, err := strconv.Atoi(ver); err != nil && p.Err == nil {
				p.Err = fmt.Errorf("auth: authserv-id %q followed by %q, not a version", clip(id), clip(ver))
			}
			p.Version = ver
		}
		have = next()
	}
	for ; have; have = next() {
		if len(b.methods)-first == maxMethods {
			if p.Err == nil {
				p.Err = fmt.Errorf("auth: more than %d results in one field; the rest were not read", maxMethods)
			}
			break
		}
		it := item
		if strings.TrimSpace(it) == "" {
			continue // a trailing or doubled ';'
		}
		if bareDomain(it) {
			continue // Microsoft repeats the recipient's domain between methods
		}
		m, err := parseMethod(it, &b.strs)
		if err != nil {
			if p.Err == nil {
				p.Err = err
			}
		}
		if m.Result == "" {
			b.strs.drop()
			continue // no-result ("; none"), or no result to keep
		}
		m.Comments = b.strs.take()
		b.methods = append(b.methods, m)
	}
	if n := len(b.methods); n > first {
		p.Methods = b.methods[first:n:n]
	}
	if p.AuthservID == "" && p.Err == nil && !arc && len(p.Methods) == 0 {
		p.Err = fmt.Errorf("auth: no authserv-id and no results in %q", clip(v))
	}
	return p
}

func parseInstance(s string) (int, error) {
	t := strings.TrimSpace(s)
	if len(t) < 3 || (t[0] != 'i' && t[0] != 'I') {
		return 0, fmt.Errorf("auth: ARC field does not start with i=: %q", clip(s))
	}
	t = strings.TrimSpace(t[1:])
	if !strings.HasPrefix(t, "=") {
		return 0, fmt.Errorf("auth: ARC field does not start with i=: %q", clip(s))
	}
	n, err := strconv.Atoi(strings.TrimSpace(t[1:]))
	if err != nil || n < 1 || n > 50 {
		return 0, fmt.Errorf("auth: ARC instance %q is not 1 to 50", clip(strings.TrimSpace(t[1:])))
	}
	return n, nil
}

// looksLikeMethod reports whether an item is method=result rather than an
// authserv-id: a '=' before any white space.
func looksLikeMethod(it string) bool {
	c := cursor{s: it}
	c.skipCFWS(nil)
	tok := c.token("=/")
	c.skipCFWS(nil)
	return tok != "" && (c.peek() == '=' || c.peek() == '/')
}

// parseMethod reads one resinfo; its comments are the current run of
// comments, which the caller takes or drops.
func parseMethod(it string, comments *strArena) (Method, error) {
	var m Method
	c := cursor{s: it}
	if err := c.skipCFWS(comments); err != nil {
		return m, err
	}
	m.Name = lower(c.token("=/"))
	if m.Name == "" {
		return m, fmt.Errorf("auth: no method in %q", clip(it))
	}
	c.skipCFWS(comments)
	if c.peek() == '/' { // method version
		c.i++
		c.skipCFWS(comments)
		c.token("=")
		c.skipCFWS(comments)
	}
	if c.peek() != '=' {
		if m.Name == "none" && c.done() {
			return m, nil
		}
		return m, fmt.Errorf("auth: method %q has no result", clip(m.Name))
	}
	c.i++
	c.skipCFWS(comments)
	m.Result = lower(c.token(""))
	var err error
	if !knownResults[m.Result] {
		err = fmt.Errorf("auth: %s has result %q, not a registered result", m.Name, clip(m.Result))
	}
	for !c.done() {
		if e := c.skipCFWS(comments); e != nil {
			return m, e
		}
		if c.done() {
			break
		}
		start := c.i
		key := lower(c.token("="))
		c.skipCFWS(comments)
		if key == "" || c.peek() != '=' {
			if err == nil {
				err = fmt.Errorf("auth: %s: %q is not a property", m.Name, clip(c.s[start:]))
			}
			if c.i == start {
				c.i++
			}
			continue
		}
		c.i++
		c.skipCFWS(comments)
		val, e := c.value("")
		if e != nil {
			return m, e
		}
		if key == "reason" {
			m.Reason = val
			continue
		}
		if m.Properties == nil {
			m.Properties = make(map[string]string, 2)
		}
		if _, dup := m.Properties[key]; !dup {
			m.Properties[key] = val
		}
	}
	return m, err
}

// bareDomain reports whether an item is a lone domain name with no '=':
// Microsoft writes "header.d=none;example.com; dmarc=..." between methods.
func bareDomain(it string) bool {
	c := cursor{s: it}
	c.skipCFWS(nil)
	tok := c.token("=")
	c.skipCFWS(nil)
	return c.done() && strings.Contains(tok, ".") && !strings.ContainsAny(tok, "=@")
}
