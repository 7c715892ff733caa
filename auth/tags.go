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
func ParseTags(v string) ([]Tag, error) {
	tags := make([]Tag, 0, 12)
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
func stripFWS(s string) string {
	if strings.IndexAny(s, " \t\r\n") < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !isWSP(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
