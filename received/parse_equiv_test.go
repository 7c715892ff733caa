package received

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/internal/corpus"
)

// corpusReceived returns the Received field values of every message of the
// 2002 corpus ($SPAMTRACE_CORPUS, the package's data directory) and, when
// $SPAMTRACE_MODERN names it, of the modern corpus, as ReadHeader hands
// them out. The corpora are not shipped with the repository: the caller is
// skipped when neither is set.
func corpusReceived(tb testing.TB) []string {
	tb.Helper()
	var msgs []corpus.Message
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		m, err := corpus.Load(dir)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, m...)
	}
	if dir := os.Getenv("SPAMTRACE_MODERN"); dir != "" {
		m, err := corpus.LoadModern(dir)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, m...)
	}
	if len(msgs) == 0 {
		tb.Skip("SPAMTRACE_CORPUS and SPAMTRACE_MODERN not set")
	}
	var out []string
	for _, m := range msgs {
		msg, err := ReadHeader(NewBytesReader([]byte(m.Text)), nil)
		if err != nil {
			continue
		}
		out = append(out, msg.Received...)
	}
	return out
}

// dumpHop writes everything Parse returned for v, one line, in a form
// that does not depend on pointers: the Hop with %#v (addresses and the
// date written out beside it), then every ParseError's fields.
func dumpHop(w *bufio.Writer, v string) {
	h, err := Parse(v)
	fip, bip, date := h.From.IP, h.By.IP, h.Date
	h.From.IP, h.By.IP, h.Date = fromIPZero, fromIPZero, time.Time{}
	fmt.Fprintf(w, "%q\n\t%#v\n\tfrom.ip=%s/%v by.ip=%s/%v date=%s/%q/%v",
		v, h, fip, fip.IsValid(), bip, bip.IsValid(), date.Format(time.RFC3339Nano), date.Location(), date.IsZero())
	var list []error
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		list = u.Unwrap()
	} else if err != nil {
		list = []error{err}
	}
	for _, e := range list {
		var pe *ParseError
		if !errors.As(e, &pe) {
			fmt.Fprintf(w, "\n\terr %T %q", e, e.Error())
			continue
		}
		fmt.Fprintf(w, "\n\terr %d %q %q", pe.Offset, pe.Clause, pe.Reason)
		var de *DateError
		if errors.As(pe.Err, &de) {
			fmt.Fprintf(w, " date %q %q", de.Date, de.Reason)
		} else if pe.Err != nil {
			fmt.Fprintf(w, " cause %T %q", pe.Err, pe.Err.Error())
		}
	}
	w.WriteByte('\n')
}

var fromIPZero = From{}.IP

// TestCorpusHopsUnchanged compares the parse of every Received field of the
// corpora (see corpusReceived) with a dump written earlier: set
// SPAMTRACE_HOPDUMP to the dump's path, and SPAMTRACE_HOPDUMP_WRITE=1 to
// write it (from the commit whose behaviour is the reference). It guards
// restructurings of the parser that must not change any result.
func TestCorpusHopsUnchanged(t *testing.T) {
	path := os.Getenv("SPAMTRACE_HOPDUMP")
	if path == "" {
		t.Skip("SPAMTRACE_HOPDUMP not set")
	}
	vals := corpusReceived(t)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, v := range vals {
		dumpHop(w, v)
	}
	w.Flush()
	if os.Getenv("SPAMTRACE_HOPDUMP_WRITE") != "" {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d fields to %s", len(vals), path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	if got == string(want) {
		t.Logf("%d fields unchanged", len(vals))
		return
	}
	// Report the first few fields that differ.
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	bad := 0
	for i := 0; i < len(gl) && i < len(wl) && bad < 10; i++ {
		if gl[i] != wl[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
			bad++
		}
	}
	if len(gl) != len(wl) {
		t.Errorf("got %d lines, want %d", len(gl), len(wl))
	}
}

// BenchmarkParseCorpus2002 parses every Received field of the corpora (see
// corpusReceived; the 2002 corpus alone with SPAMTRACE_CORPUS) per
// iteration, with ParseTo as the tracer calls it.
func BenchmarkParseCorpus2002(b *testing.B) {
	vals := corpusReceived(b)
	hops := make([]Hop, len(vals))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		for i, v := range vals {
			_ = ParseTo(&hops[i], v)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(len(vals))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/header")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/header")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/header")
	b.ReportMetric(0, "ns/op")
}
