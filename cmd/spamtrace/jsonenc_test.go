package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spamtrace/spamtrace/trace"
)

// appendStringByteByByte is the first, byte-at-a-time appendString, kept
// as the reference the fast one must match byte for byte.
// Invalid UTF-8 becomes U+FFFD;
// control characters and the characters HTML and JavaScript treat specially
// are escaped.
func appendStringByteByByte(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

var jsonStringSeeds = []string{
	"",
	"plain ascii text, longer than eight bytes",
	"from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net with ESMTPS id 4Xy; Tue, 12 Mar 2024 09:14:31 +0000",
	"<a@b.example> & \"quoted\" \\ back",
	"ctl \x00\x01\x1f\x7f tab\t nl\n cr\r",
	"utf8 caf\u00e9 \u2028 \u2029 \U0001F600 end",
	"bad \xff\xfe utf8 \xe2\x80",
	"12345678<2345678>2345678&2345678\"2345678\\2345678\x7f",
	" !#$%'()*+,-./0123456789:;=?@[]^_`{|}~",
}

func TestAppendStringMatchesReference(t *testing.T) {
	for _, s := range jsonStringSeeds {
		checkAppendString(t, s)
	}
	// every byte at every offset of an eight-byte word
	for c := 0; c < 256; c++ {
		for off := 0; off < 9; off++ {
			checkAppendString(t, strings.Repeat("a", off)+string([]byte{byte(c)})+strings.Repeat("z", 9))
		}
	}
}

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	got, want := appendString([]byte("x"), s), appendStringByteByByte([]byte("x"), s)
	if string(got) != string(want) {
		t.Errorf("appendString(%q) = %s, want %s", s, got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAppendString(t, s)
		if !utf8.Valid(appendString(nil, s)) {
			t.Errorf("appendString(%q) is not UTF-8", s)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat(jsonStringSeeds[2]+" for <user@example.com>; ", 4)
	for _, impl := range []struct {
		name string
		fn   func([]byte, string) []byte
	}{{"table", appendString}, {"bytewise", appendStringByteByByte}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				buf = impl.fn(buf[:0], s)
			}
		})
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	raw, err := os.ReadFile(sample("gmail-to-postfix.eml"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := (&trace.Tracer{}).Trace(context.Background(), bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	r := &record{file: "gmail-to-postfix.eml", tr: tr}
	buf := appendRecord(nil, r, nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRecord(buf[:0], r, nil)
	}
}
