package unwrap

import (
	"bytes"
	"encoding/binary"
)

// qpLineMax is the longest line mime/quotedprintable's reader takes: it
// reads lines through a bufio.Reader of the default size, and a longer
// one ends the body with bufio.ErrBufferFull.
const qpLineMax = 4096

// decodeQP decodes a quoted-printable body held whole in src into dst as
// mime/quotedprintable's reader decodes it: "=" and "=\n" soft breaks,
// white space at a line's end dropped, a "=" not followed by two hex
// digits kept as it is (but not at a line's end), and its other
// leniencies. It reports false where that reader would end the body with
// an error (a line too long, a control byte, bytes after a soft break's
// "=", a "=" at the line's end): the caller then reads the body through
// it, for the same bytes and the same error.
func decodeQP(dst, src []byte) ([]byte, bool) {
	for len(src) > 0 {
		var line []byte
		last := false // the reader met the end of the body with this line
		if i := bytes.IndexByte(src[:min(len(src), qpLineMax)], '\n'); i >= 0 {
			line, src = src[:i+1], src[i+1:]
		} else {
			if len(src) >= qpLineMax {
				return dst, false
			}
			line, src, last = src, nil, true
		}
		hasLF := line[len(line)-1] == '\n'
		hasCR := hasLF && len(line) > 1 && line[len(line)-2] == '\r'
		n := len(line)
		for n > 0 && (line[n-1] == '\n' || line[n-1] == '\r' || line[n-1] == ' ' || line[n-1] == '\t') {
			n--
		}
		t := line[:n]
		var eol string
		if len(t) > 0 && t[len(t)-1] == '=' {
			rest := bytes.TrimLeft(line[len(t):], " \t")
			t = t[:len(t)-1]
			if !bytes.HasPrefix(rest, []byte("\n")) && !bytes.HasPrefix(rest, []byte("\r\n")) &&
				!(len(rest) == 0 && len(t) > 0 && last) {
				return dst, false
			}
		} else if hasCR {
			eol = "\r\n"
		} else if hasLF {
			eol = "\n"
		}
		var ok bool
		if dst, ok = qpLine(dst, t, eol); !ok {
			return dst, false
		}
	}
	return dst, true
}

// qpLine decodes one line (its end of line eol put back after the white
// space was trimmed).
func qpLine(dst, t []byte, eol string) ([]byte, bool) {
	for k := 0; k < len(t); {
		m := k
		// eight bytes at a time while none is '=', DEL or a control byte
		// (tab, CR and LF stop it too; the table below takes them)
		for m+8 <= len(t) && qpSpecial(binary.LittleEndian.Uint64(t[m:])) == 0 {
			m += 8
		}
		for m < len(t) && qpPlain[t[m]] {
			m++
		}
		dst = append(dst, t[k:m]...)
		if k = m; k == len(t) {
			break
		}
		if t[k] != '=' {
			return dst, false // a control byte
		}
		if k+2 < len(t) {
			if hi, lo := hexValue(t[k+1]), hexValue(t[k+2]); hi >= 0 && lo >= 0 {
				dst = append(dst, byte(hi<<4|lo))
				k += 3
				continue
			}
		}
		// not an escape: a literal '=', unless the line (its end of
		// line included) ends after it
		if k+1 >= len(t) || t[k+1] == '\r' || t[k+1] == '\n' {
			return dst, false
		}
		dst = append(dst, '=')
		k++
	}
	return append(dst, eol...), true
}

// qpSpecial sets the top bit of some byte of w when a byte of w is below
// 0x20, '=' or DEL (and maybe of a byte above a flagged one, through a
// borrow: the caller then reads byte by byte).
func qpSpecial(w uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	below := (w - 0x20*lsb) &^ w
	eq := w ^ ('=' * lsb)
	del := w ^ (0x7f * lsb)
	return (below | (eq-lsb)&^eq | (del-lsb)&^del) & msb
}

// qpPlain marks the bytes a quoted-printable line passes as they are: all
// but '=' and the control bytes other than tab, CR and LF (bytes of 0x80
// and above pass, as mime/quotedprintable lets them).
var qpPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= ' ' && c != '=' && c != 0x7f || c == '\t' || c == '\r' || c == '\n'
	}
	return t
}()

// hexValue is the value of a hex digit (either case), or -1.
func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}
