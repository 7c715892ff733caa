package unwrap

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// The charsets of asciiKept decode one byte to one character, whatever
// comes before it: converting a text is looking up each byte above ASCII.
// Going through go-message's charset reader instead costs a
// transform.Reader with its two buffers and a growing copy for every
// text. The table of a charset is made once, by asking that reader for
// each of the 128 bytes, so the bytes are the reader's own
// (TestByteTableSameAsReader converts whole texts both ways).

// byteTable is what the bytes 0x80-0xff of one charset decode to.
type byteTable [128]string

var byteTables sync.Map // lower-case charset name -> *byteTable (nil: no table)

// tableFor returns the table of ch (lower case), or nil when ch is not in
// asciiKept or go-message's reader does not give one character a byte.
func tableFor(ch string) *byteTable {
	if !asciiKept[ch] || message.CharsetReader == nil {
		return nil
	}
	if t, ok := byteTables.Load(ch); ok {
		return t.(*byteTable)
	}
	t := new(byteTable)
	for c := range 128 {
		r, err := message.CharsetReader(ch, bytes.NewReader([]byte{byte(0x80 + c)}))
		if err != nil {
			t = nil
			break
		}
		b, err := io.ReadAll(r)
		if err != nil || utf8.RuneCount(b) != 1 {
			t = nil
			break
		}
		t[c] = string(b)
	}
	byteTables.Store(ch, t) // asciiKept bounds the entries
	return t
}

// convert appends src decoded by t to dst, stopping once more than max
// bytes are out; it returns at most max bytes and whether more were left,
// as readCapped of the charset reader would.
func (t *byteTable) convert(dst, src []byte, max int64) ([]byte, bool) {
	for len(src) > 0 && int64(len(dst)) <= max {
		i := 0
		for i < len(src) && src[i] < utf8.RuneSelf {
			i++
		}
		dst = append(dst, src[:i]...)
		src = src[i:]
		for len(src) > 0 && src[0] >= utf8.RuneSelf {
			dst = append(dst, t[src[0]-0x80]...)
			src = src[1:]
		}
	}
	if int64(len(dst)) > max {
		return dst[:max], true
	}
	return dst, false
}
