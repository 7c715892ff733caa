// Package ascii compares header text ignoring ASCII case, without
// allocating: header names, keywords and host names are ASCII, and
// strings.EqualFold's Unicode folding is both slower and wrong for them
// (it folds the Kelvin sign K into k).
package ascii

import "math/bits"

// Lower returns c lower-cased if it is an ASCII capital letter.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal ignoring ASCII case. It
// compares eight bytes at a time (see lowerWord).
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) >= 8 {
		// The last word overlaps the one before it when the length is
		// no multiple of eight.
		for i := 0; ; i += 8 {
			i = min(i, len(a)-8)
			if x, y := word(a, i), word(b, i); x != y && lowerWord(x) != lowerWord(y) {
				return false
			}
			if i == len(a)-8 {
				return true
			}
		}
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// EqualFoldBytes is EqualFold for a byte slice, without converting it.
func EqualFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) >= 8 {
		for i := 0; ; i += 8 {
			i = min(i, len(a)-8)
			if x, y := wordBytes(a, i), word(b, i); x != y && lowerWord(x) != lowerWord(y) {
				return false
			}
			if i == len(a)-8 {
				return true
			}
		}
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// HasUpper reports whether s holds an ASCII capital letter: whether
// lower-casing it would change it. It reads eight bytes at a time.
func HasUpper(s string) bool {
	if len(s) >= 8 {
		for i := 0; ; i += 8 {
			i = min(i, len(s)-8)
			if upperBits(word(s, i)) != 0 {
				return true
			}
			if i == len(s)-8 {
				return false
			}
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// IndexLetter returns the index of the first byte of s that is the ASCII
// letter c (given in lower case) in either case, -1 when there is none.
// It reads eight bytes at a time: a letter with 0x20 set is its lower
// case, which no other byte becomes.
func IndexLetter(s string, c byte) int {
	const ones, top = 0x0101010101010101, 0x8080808080808080
	want := ones * uint64(c)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// (d - ones) &^ d marks the zero bytes of d exactly up to the
		// first one (a borrow runs on above it): the first is all read.
		d := (word(s, i) | ones*0x20) ^ want
		if m := (d - ones) &^ d & top; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if s[i]|0x20 == c {
			return i
		}
	}
	return -1
}

// word returns s[i:i+8] as a little-endian word (the compiler makes the
// eight byte loads one).
func word(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// wordBytes is word for a byte slice.
func wordBytes(b []byte, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// upperBits returns x with the top bit of each byte that is an ASCII
// capital letter set, every other bit clear. Each byte's low seven bits
// plus 0x3f reach the top bit from 'A' up, plus 0x25 from just past 'Z'
// up, and neither sum carries into the next byte; a byte with its own top
// bit set is no ASCII letter.
func upperBits(x uint64) uint64 {
	const low7, top = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	y := x & low7
	return (y + 0x3f3f3f3f3f3f3f3f) &^ (y + 0x2525252525252525) &^ x & top
}

// lowerWord lower-cases the ASCII capital letters of the eight bytes of x
// (0x80 shifted right twice is the 0x20 that makes a capital small).
func lowerWord(x uint64) uint64 { return x | upperBits(x)>>2 }

// HasPrefixFold reports whether s begins with prefix, ignoring ASCII case.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && EqualFold(s[:len(prefix)], prefix)
}

// IndexFold is strings.Index ignoring ASCII case.
func IndexFold(s, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	first := Lower(sub[0])
	for i := 0; i+n <= len(s); i++ {
		if Lower(s[i]) == first && EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

// ContainsFold is strings.Contains ignoring ASCII case.
func ContainsFold(s, sub string) bool { return IndexFold(s, sub) >= 0 }
