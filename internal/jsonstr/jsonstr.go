// Package jsonstr writes JSON strings without reflection or allocation,
// for the hand-written JSON of package netblock and the spamtrace command:
// one escaper, so both write the same bytes for the same text.
package jsonstr

import (
	"math/bits"
	"slices"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// jsonClass sorts the bytes for Append: plain ASCII copied as is,
// ASCII that needs an escape, and the first byte of a multi-byte sequence.
var jsonClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = classMultiByte
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&', c == 0x7f:
			t[c] = classEscape
		}
	}
	return t
}()

const (
	classPlain = iota
	classEscape
	classMultiByte
)

// Append appends s to b as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters and the characters HTML and JavaScript treat specially
// are escaped.
func Append(b []byte, s string) []byte {
	// Most strings a record holds are short and plain: find the first
	// byte that needs work, and copy the whole string when there is none.
	i := 0
	for i+8 <= len(s) {
		w := s[i : i+8]
		if bad := notPlain(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56); bad != 0 {
			i += bits.TrailingZeros64(bad) / 8
			break
		}
		i += 8
	}
	for i < len(s) && jsonClass[s[i]] == classPlain {
		i++
	}
	if i == len(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendFrom(b, s, i)
}

// appendFrom is Append of a string whose first i bytes are plain.
func appendFrom(b []byte, s string, i int) []byte {
	b = slices.Grow(b, len(s)+8)
	b = append(b, '"')
	start := 0
	for i < len(s) {
		for i+8 <= len(s) {
			w := s[i : i+8]
			bad := notPlain(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if bad != 0 {
				// the lowest flagged byte is the first one to handle
				i += bits.TrailingZeros64(bad) / 8
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		switch jsonClass[c] {
		case classPlain:
			i++
			continue
		case classEscape:
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

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// notPlain sets the top bit of each byte of w (read little-endian) that
// is not plain ASCII, testing the eight together: a byte with the top bit
// or below 0x20; '"' or '&' (0x22, 0x26: both 0x26 once bit 2 is set); '<'
// or '>' (0x3c, 0x3e: both 0x3e once bit 1 is set); '\\' or DEL. A borrow
// can flag a byte above a flagged one too, never one below: the lowest
// flag is exact.
func notPlain(w uint64) uint64 {
	bad := w | (w - 0x20*lsb)
	bad |= hasZero((w | 0x04*lsb) ^ (0x26 * lsb))
	bad |= hasZero((w | 0x02*lsb) ^ (0x3e * lsb))
	bad |= hasZero(w ^ ('\\' * lsb))
	bad |= hasZero(w ^ (0x7f * lsb))
	return bad & msb
}

// hasZero sets the top bit of some byte when a byte of v is zero.
func hasZero(v uint64) uint64 { return (v - lsb) &^ v }
