package trace

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// keepFieldBefore is keepField as it was written before its names were
// put in buckets: the reference the buckets must agree with.
func keepFieldBefore(name []byte) bool {
	for _, n := range summaryFieldNames {
		if ascii.EqualFoldBytes(name, n) {
			return true
		}
	}
	if len(name) > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-' && isClientIPHeader(string(name)) {
		return true
	}
	for _, n := range authFieldNames {
		if ascii.EqualFoldBytes(name, n) {
			return true
		}
	}
	return false
}

func TestKeepField(t *testing.T) {
	var names []string
	for _, list := range [][]string{summaryFieldNames, clientIPHeaders, authFieldNames} {
		for _, n := range list {
			names = append(names, n, strings.ToLower(n), strings.ToUpper(n), n[:len(n)-1], n+"x", "x"+n[1:], n[:len(n)-1]+"!")
		}
	}
	names = append(names, "", "X", "X-", "Received", "X-Mailer", "X-Spam-Level", "Content-Type", "MIME-Version", "X-Original-To", "Message-ID")
	for _, path := range testMessages(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := received.ReadHeader(received.NewBytesReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m.Header {
			names = append(names, f.Name)
		}
	}
	kept := 0
	for _, n := range names {
		got, want := keepField([]byte(n)), keepFieldBefore([]byte(n))
		if got != want {
			t.Errorf("keepField(%q) = %v, want %v", n, got, want)
		}
		if got {
			kept++
		}
	}
	if kept < 100 {
		t.Errorf("only %d of %d names kept: the test names are wrong", kept, len(names))
	}
}

func testMessages(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if len(files) == 0 {
		t.Skip("no test messages")
	}
	return files
}

// TraceHeader reads a go-message header as a trace reads the header of a
// raw message: the same summary, client addresses and authentication
// results.
func TestTraceHeaderAsReadHeader(t *testing.T) {
	tracer := Tracer{Now: func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }}
	for _, path := range testMessages(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := received.ReadMessage(received.NewBytesReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		body := raw
		if bytes.HasPrefix(body, []byte("From ")) {
			body = body[bytes.IndexByte(body, '\n')+1:]
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("%s: go-message: %v", path, err)
		}
		got := tracer.TraceHeader(h, m.Hops, m.HopErrs)
		want := tracer.traceFields(m.Header, m.Hops, m.HopErrs)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: TraceHeader\n%+v\nreading the header\n%+v", path, got, want)
		}
		if want.Header.Subject == "" && want.Header.From == "" {
			t.Errorf("%s: no summary read", path)
		}
	}
}
