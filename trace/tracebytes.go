package trace

import (
	"context"

	"github.com/spamtrace/spamtrace/received"
)

// TraceBytes is [Tracer.Trace] of a message held in memory. It gives what
// Trace gives for a reader of raw, but reads the header block where it
// lies (received.BytesReader) instead of copying the message through a
// read buffer. raw must not change during the call; the Trace does not
// keep it.
func (t *Tracer) TraceBytes(ctx context.Context, raw []byte) (*Trace, error) {
	return t.Trace(ctx, received.NewBytesReader(raw))
}
