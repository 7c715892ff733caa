package jsonstr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// appendByteByByte is the first, byte-at-a-time Append, kept
// as the reference the fast one must match byte for byte.
// Invalid UTF-8 becomes U+FFFD;
// control characters and the characters HTML and JavaScript treat specially
// are escaped.
func appendByteByByte(b []byte, s string) []byte {
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

var seeds = []string{
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

func TestAppendMatchesReference(t *testing.T) {
	for _, s := range seeds {
		checkAppend(t, s)
	}
	// every byte at every offset of an eight-byte word
	for c := 0; c < 256; c++ {
		for off := 0; off < 9; off++ {
			checkAppend(t, strings.Repeat("a", off)+string([]byte{byte(c)})+strings.Repeat("z", 9))
		}
	}
}

func checkAppend(t *testing.T, s string) {
	t.Helper()
	got, want := Append([]byte("x"), s), appendByteByByte([]byte("x"), s)
	if string(got) != string(want) {
		t.Errorf("Append(%q) = %s, want %s", s, got, want)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAppend(t, s)
		if !utf8.Valid(Append(nil, s)) {
			t.Errorf("Append(%q) is not UTF-8", s)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	s := strings.Repeat(seeds[2]+" for <user@example.com>; ", 4)
	for _, impl := range []struct {
		name string
		fn   func([]byte, string) []byte
	}{{"table", Append}, {"bytewise", appendByteByByte}} {
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

// BenchmarkAppendShort writes the strings of one hop of a record, most of
// them short and plain (Append's fast path), one a raw header.
func BenchmarkAppendShort(b *testing.B) {
	fields := []string{"", "phobos", "", "127.0.0.1", "127.0.0.1", "ipv4", "", "localhost", "", "fetchmail-5.9.0", "", "IMAP", "IMAP", "", "zzzz@localhost", "",
		"Thu, 22 Aug 2002 12:36:16 +0100 (IST)", "IST", "", "", "fetchmail", "trusted",
		"from phobos [127.0.0.1] by localhost with IMAP (fetchmail-5.9.0) for <zzzz@localhost> (single-drop); Thu, 22 Aug 2002 12:36:16 +0100 (IST)"}
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range fields {
			buf = Append(buf, s)
		}
	}
}
