package auth

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDKIMSignature reads the tags of a DKIM-Signature value (RFC 6376
// §3.5). Verify is left "none"; Err holds the first problem (a malformed
// tag list, a missing required tag, a bad number).
func ParseDKIMSignature(v string) DKIMSignature {
	var b parseBufs
	return b.dkim(v)
}

// dkim is ParseDKIMSignature with b's buffers.
func (b *parseBufs) dkim(v string) DKIMSignature {
	d := DKIMSignature{Raw: v, BodyLength: -1, Verify: "none"}
	tags, err := parseTags(v, b.tags)
	b.tags = tags
	d.Err = err
	fail := func(e error) {
		if d.Err == nil {
			d.Err = e
		}
	}
	for _, t := range tags {
		switch t.Name {
		case "d":
			d.Domain = lower(t.Value)
		case "s":
			d.Selector = t.Value
		case "i":
			d.Identity = t.Value
		case "a":
			d.Algorithm = lower(t.Value)
		case "c":
			d.Canon = lower(t.Value)
		case "h":
			d.Headers = b.headerList(t.Value)
		case "bh":
			d.BodyHash = stripFWS(t.Value)
		case "l":
			n, err := strconv.ParseInt(stripFWS(t.Value), 10, 64)
			if err != nil || n < 0 {
				fail(fmt.Errorf("auth: DKIM l=%q is not a length", clip(t.Value)))
			} else {
				d.BodyLength = n
			}
		case "t", "x":
			tm, err := parseUnix(t.Value)
			if err != nil {
				fail(fmt.Errorf("auth: DKIM %s=%q is not a time", t.Name, clip(t.Value)))
			} else if t.Name == "t" {
				d.Timestamp = tm
			} else {
				d.Expiration = tm
			}
		}
	}
	for _, req := range [...]string{"v", "a", "b", "bh", "d", "h", "s"} {
		if _, ok := tagValue(tags, req); !ok {
			fail(fmt.Errorf("auth: DKIM signature lacks the required %s= tag", req))
			break
		}
	}
	return d
}

// headerList is the names of a DKIM h= list, lower-cased, from b.strs.
func (b *parseBufs) headerList(v string) []string {
	// A list in lower case is read in place, each name without the white
	// space around it (and a copy of a name with white space inside);
	// else the whole list is folded, one copy, not one a mixed-case name.
	lowerCase := !hasUpper(v)
	if !lowerCase {
		v = foldValue(v, true)
	}
	b.strs.drop()
	b.strs.reserve(strings.Count(v, ":") + 1)
	for v != "" {
		var p string
		p, v, _ = strings.Cut(v, ":")
		if lowerCase {
			p = foldValue(trimWSP(p), false)
		}
		if p != "" {
			b.strs.add(p)
		}
	}
	if h := b.strs.take(); h != nil {
		return h
	}
	return []string{}
}

// hasUpper reports whether s holds an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// trimWSP is s without the white space (isWSP) at its ends.
func trimWSP(s string) string {
	for s != "" && isWSP(s[0]) {
		s = s[1:]
	}
	for s != "" && isWSP(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func headerList(v string) []string {
	v = foldValue(v, true) // one copy at most, not one a mixed-case name
	out := make([]string, 0, strings.Count(v, ":")+1)
	for v != "" {
		var p string
		p, v, _ = strings.Cut(v, ":")
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// maxUnix bounds t= and x= (RFC 6376 §3.5 allows up to 12 digits; a time
// past year 9999 is not a time).
const maxUnix = 253402300799

func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(stripFWS(s), 10, 64)
	if err != nil || n < 0 || n > maxUnix {
		return time.Time{}, fmt.Errorf("auth: %q is not a Unix time", clip(s))
	}
	return time.Unix(n, 0).UTC(), nil
}

// arcSeal is one ARC-Seal's tags (RFC 8617 §4.1.3).
type arcSeal struct {
	instance              int
	cv, domain, sel, algo string
	timestamp             time.Time
	err                   error
}

func parseARCSeal(v string) arcSeal {
	var b parseBufs
	return b.arcSeal(v)
}

func (b *parseBufs) arcSeal(v string) arcSeal {
	var s arcSeal
	tags, err := parseTags(v, b.tags)
	b.tags = tags
	s.err = err
	iv, ok := tagValue(tags, "i")
	if n, e := strconv.Atoi(stripFWS(iv)); !ok || e != nil || n < 1 || n > 50 {
		if s.err == nil {
			s.err = fmt.Errorf("auth: ARC-Seal i=%q is not 1 to 50", clip(iv))
		}
	} else {
		s.instance = n
	}
	cv, _ := tagValue(tags, "cv")
	s.cv = lower(cv)
	d, _ := tagValue(tags, "d")
	s.domain = lower(d)
	s.sel, _ = tagValue(tags, "s")
	a, _ := tagValue(tags, "a")
	s.algo = lower(a)
	if tv, ok := tagValue(tags, "t"); ok {
		if tm, err := parseUnix(tv); err == nil {
			s.timestamp = tm
		}
	}
	switch s.cv {
	case "none", "pass", "fail":
	default:
		if s.err == nil {
			s.err = fmt.Errorf("auth: ARC-Seal cv=%q is not none, pass or fail", clip(cv))
		}
	}
	return s
}

// amsInfo reads the i= and d= of an ARC-Message-Signature (RFC 8617
// §4.1.2).
func amsInfo(v string) (inst int, domain string, err error) {
	var b parseBufs
	return b.amsInfo(v)
}

func (b *parseBufs) amsInfo(v string) (inst int, domain string, err error) {
	tags, err := parseTags(v, b.tags)
	b.tags = tags
	iv, ok := tagValue(tags, "i")
	n, e := strconv.Atoi(stripFWS(iv))
	if !ok || e != nil || n < 1 || n > 50 {
		if err == nil {
			err = fmt.Errorf("auth: ARC-Message-Signature i=%q is not 1 to 50", clip(iv))
		}
		n = 0
	}
	d, _ := tagValue(tags, "d")
	return n, lower(d), err
}
