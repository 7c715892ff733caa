package received

import "math/bits"

// Reading eight bytes at a time
//
// Two runs the scanner and the header reader walk, a comment's plain
// bytes and a field name, are read a machine word at a time: nameStops
// and commentStops mark the top bit of each byte of a word that ends the
// run, computed on the bytes' low seven bits so that no sum carries into
// the next byte (or, for commentStops, exactly up to the first such byte
// only), and the run ends at the first marked byte
// (bits.TrailingZeros64 / 8). (Words, whose stop set has fourteen bytes,
// are mostly too short to gain: the test costs more than it saves.)

const (
	low7 = 0x7f7f7f7f7f7f7f7f
	top  = 0x8080808080808080
	ones = 0x0101010101010101
)

// bytesWord returns b[i:i+8] as a little-endian word (the compiler makes
// the eight byte loads one).
func bytesWord(b []byte, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// strWord is bytesWord for a string.
func strWord(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// nameStops returns x, eight bytes of a line, with the top bit set of
// each byte that is not a nameBytes byte (a control byte or space, DEL,
// a colon, not ASCII), every other bit clear. On a byte's low seven bits
// y, y+0x5f reaches the top bit from '!' up and y+1 only from DEL.
func nameStops(x uint64) uint64 {
	y := x & low7
	c := x ^ (ones * ':')
	return (x | ^(y + 0x5f5f5f5f5f5f5f5f) | (y + ones) | ^((c&low7 + low7) | c)) & top
}

// commentStops returns, at its lowest set bit, the top bit of the first
// byte of x that ends a run of plain bytes in a comment: ( ) ; and
// backslash (ccComment). Above that bit it may be wrong: (v - ones) &^ v
// marks the zero bytes of v exactly up to the first one only (a borrow
// runs on into the bytes above), which is all commentRun reads of it.
func commentStops(x uint64) uint64 {
	a, b, c, d := x^(ones*'('), x^(ones*')'), x^(ones*';'), x^(ones*'\\')
	return ((a-ones)&^a | (b-ones)&^b | (c-ones)&^c | (d-ones)&^d) & top
}

// commentRun returns the index of the first byte at or after j that is a
// ccComment byte, len(s) when none is.
func commentRun(s string, j int) int {
	for j+8 <= len(s) {
		if m := commentStops(strWord(s, j)); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < len(s) && charClass[s[j]]&ccComment == 0 {
		j++
	}
	return j
}
