package trace

import "unsafe"

// texts builds the explanations of one trace (edge details, finding
// messages) in shared chunks of memory instead of one allocation each: a
// trace writes a dozen such sentences, and allocating them one by one cost
// more than any other part of making them. A text, once made, is never
// written again: a chunk too full for the next text is left as it is (the
// texts in it keep it alive) and a new one begun. The zero value is
// ready to use; a texts is not safe for concurrent use.
type texts struct {
	buf []byte
}

// textChunk is the size of a chunk: about the explanations of a
// five-hop trace (the 2002 corpus averages 5.4 hops and 420 bytes of them).
const textChunk = 512

// join returns the concatenation of parts.
func (t *texts) join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	if cap(t.buf)-len(t.buf) < n {
		t.buf = make([]byte, 0, max(n, textChunk))
	}
	start := len(t.buf)
	for _, p := range parts {
		t.buf = append(t.buf, p...)
	}
	// The bytes at start are never written again (see texts).
	return unsafe.String(&t.buf[start], n)
}
