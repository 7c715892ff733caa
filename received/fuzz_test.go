package received

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, v := range benchMix {
		f.Add(v)
	}
	for _, v := range []string{
		"",
		"(",
		")",
		"[",
		"from",
		"from [",
		"from x ([300.1.2.3])",
		"from x ([3735928559]) by y; Mon, 1 Jan 2024 00:00:00 +0000",
		"from x ([0xdeadbeef]:25) by y",
		"from x (x [IPv6:fe80::1%7]) by y with ESMTPS id 1",
		"from x ((((((((((((a)))))))))))) by y",
		"from \"q\\\"x\" <a@b> by y for <c@d>; Mon, 1 Jan 2024",
		"FROM X BY Y WITH SMTP ID Z FOR <A@B>; 1 Jan 2024 00:00:00 GMT",
		"by mx.example.com with HTTP; Wed, 29 Apr 2026 19:12:16 +0000",
		"from a by b with esmtp id 1 Wed, 29 Apr 2026 19:12:16 +0000",
		"from a\x00b by c\xff\xfe with smtp;\r1 Jan 2024 00:00:00 -0000",
	} {
		f.Add(v)
	}
	// The golden corpus: every dialect's shape.
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	for _, txt := range files {
		for _, in := range readGoldenInputs(f, txt) {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		h, err := Parse(v)
		checkHopInvariants(t, v, h, err)
	})
}

// checkHopInvariants checks what must hold for any input.
func checkHopInvariants(t *testing.T, v string, h Hop, err error) {
	t.Helper()
	if h.Raw != v {
		t.Fatalf("Raw = %q, want the input %q", h.Raw, v)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "received: ") {
		t.Fatalf("error %q lacks the package prefix", err)
	}
	if err != nil {
		// Every problem is a *ParseError inside the value.
		all := []error{err}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			all = u.Unwrap()
		}
		for _, e := range all {
			pe, ok := e.(*ParseError)
			if !ok {
				t.Fatalf("problem %v is a %T, not a *ParseError", e, e)
			}
			if pe.Offset < 0 || pe.Offset > len(v) {
				t.Fatalf("problem %q at offset %d of a %d-byte value", pe.Reason, pe.Offset, len(v))
			}
			if pe.Clause == ClauseDate && (h.DateText == "" || pe.Offset < strings.Index(v, h.DateText)) {
				t.Fatalf("problem %q at %d is in no date (%q)", pe.Reason, pe.Offset, h.DateText)
			}
		}
	}
	if h.From.IP.IsValid() && h.From.IPText == "" {
		t.Fatalf("From.IP %v without IPText", h.From.IP)
	}
	if h.From.IPText != "" && h.From.IPForm == IPFormNone {
		t.Fatalf("From.IPText %q with IPFormNone", h.From.IPText)
	}
	if h.From.IPForm.Canonical() && !h.From.IP.IsValid() {
		t.Fatalf("From: canonical form %v without a valid IP", h.From.IPForm)
	}
	if h.By.IPForm.Canonical() && !h.By.IP.IsValid() {
		t.Fatalf("By: canonical form %v without a valid IP", h.By.IPForm)
	}
	// Every text field is a substring of the input, so no byte is invented.
	for name, s := range map[string]string{
		"HELO": h.From.HELO, "RDNS": h.From.RDNS, "IPText": h.From.IPText,
		"Ident": h.From.Ident, "ByHost": h.By.Host, "ByIPText": h.By.IPText,
		"Software": h.By.Software, "Via": h.Via, "With": h.With, "ID": h.ID,
		"For": h.For, "EnvelopeFrom": h.EnvelopeFrom, "AuthUser": h.Auth.User,
		"TLSVersion": h.TLS.Version, "TLSCipher": h.TLS.Cipher, "DateText": h.DateText,
	} {
		if s != "" && !strings.Contains(v, s) {
			t.Fatalf("%s = %q is not part of the input %q", name, s, v)
		}
	}
	for _, c := range h.Comments {
		if !strings.Contains(v, c) {
			t.Fatalf("comment %q is not part of the input", c)
		}
	}
	if utf8.ValidString(v) && !utf8.ValidString(h.From.HELO) {
		t.Fatalf("HELO %q cut a UTF-8 sequence", h.From.HELO)
	}
	if !h.Date.IsZero() && h.DateText == "" {
		t.Fatalf("Date %v without DateText", h.Date)
	}
}
