package received

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	msgs, err := corpus.FromEnv()
	if err != nil {
		tb.Fatal(err)
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

// TestScanDateSameAsTokens compares the parse with the scanner reading the
// date itself (scanner.date) and without, on inputs at the edges of what
// it takes: zone comments datePart would read, a token cap about to be
// reached, ';' inside comments, a Courier id after the date.
func TestScanDateSameAsTokens(t *testing.T) {
	many := "from a " + strings.Repeat("x ", 56)
	in := []string{
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)",
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400 (Domino)",
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400 (Exim)",
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400 (Smail)",
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400\x00",
		"from a by b;\r\n\tThu, 22 Aug 2002 07:36:16 -0400\r\n",
		"from a by b; 22 Aug 2002 07:36:16 -0400 id 00057F23.65983F20",
		"from a by b; x; Thu, 22 Aug 2002 07:36:16 -0400",
		"from a (x; y) by b; Thu, 22 Aug 2002 07:36:16 -0400 (PDT)",
		"from a (x; by b; Thu, 22 Aug 2002 07:36:16 -0400 (PDT)",
		"from a by b; Thu, 22 Aug 2002 07:36:16 -0400 (PDT);",
		"from a by b;Thu, 22 Aug 2002 07:36:16 -0400",
		"[from a by b; Thu, 22 Aug 2002 07:36:16 -0400]",
		";Thu, 22 Aug 2002 07:36:16 -0400",
		"(qmail 1 invoked by uid 0); 22 Aug 2002 07:36:16 -0000",
		many + "; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)",
		many + "x; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)",
		many + "x x; Thu, 22 Aug 2002 07:36:16 -0400",
		many + "x x x; 22 Aug 2002 07:36:16 -0400",
		many + "x x x x x; 22 Aug 2002 07:36:16 -0400",
	}
	in = append(in, benchMix...)
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	for _, txt := range files {
		in = append(in, readGoldenInputs(t, txt)...)
	}
	dump := func(v string) string {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		dumpHop(w, v)
		w.Flush()
		return b.String()
	}
	defer func() { scanDates = true }()
	for _, v := range in {
		scanDates = true
		got := dump(v)
		scanDates = false
		want := dump(v)
		if got != want {
			t.Errorf("with the scanner's date:\n%s\nwithout:\n%s", got, want)
		}
	}
}
