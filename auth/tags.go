package auth

import (
	"fmt"
	"strings"
)

// maxTags caps the tags read from one list (a DKIM signature has a dozen;
// the duplicate check is quadratic).
const maxTags = 64

// Tag is one tag=value of a DKIM-style tag list (RFC 6376 §3.2).
type Tag struct{ Name, Value string }

// ParseTags parses a tag list: tag=value pairs separated by ';', folding
// white space allowed around names and values and inside values. A
// duplicate tag or a pair without '=' is an error (RFC 6376 §3.2 makes a
// duplicate invalid); the pairs read are still returned.
func ParseTags(v string) ([]Tag, error) { return parseTags(v, nil) }

// parseTags is ParseTags appending to tags[:0].
func parseTags(v string, tags []Tag) ([]Tag, error) {
	if cap(tags) == 0 {
		tags = make([]Tag, 0, 12)
	}
	tags = tags[:0]
	var err error
	for rest := v; rest != ""; {
		if len(tags) == maxTags {
			if err == nil {
				err = fmt.Errorf("auth: more than %d tags; the rest were not read", maxTags)
			}
			break
		}
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			if err == nil {
				err = fmt.Errorf("auth: tag list item %q has no name=value", clip(part))
			}
			continue
		}
		for _, t := range tags {
			if t.Name == name {
				if err == nil {
					err = fmt.Errorf("auth: duplicate tag %q", clip(name))
				}
				ok = false
			}
		}
		if ok {
			tags = append(tags, Tag{name, strings.TrimSpace(val)})
		}
	}
	return tags, err
}

func tagValue(tags []Tag, name string) (string, bool) {
	for _, t := range tags {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// stripFWS removes all white space (for b=, bh=, h= values).
func stripFWS(s string) string { return foldValue(s, false) }

// foldValue is s without white space and, when lowerCase is set, in ASCII
// lower case (the names of a DKIM h= list are ASCII, RFC 5322 ftext): s
// itself when that changes nothing, else one copy.
func foldValue(s string, lowerCase bool) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if isWSP(c) || lowerCase && 'A' <= c && c <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isWSP(c):
			continue
		case lowerCase && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
