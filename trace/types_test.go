package trace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/received"
)

func TestSeverityZeroValue(t *testing.T) {
	var s Severity
	if s != SeverityNone || s.IsValid() || s.String() != "none" {
		t.Errorf("zero Severity: %d %q valid=%v, want SeverityNone \"none\" not valid", s, s, s.IsValid())
	}
	// The names real findings carry (and the JSON output) are unchanged.
	for s, name := range map[Severity]string{SeverityInfo: "info", SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high"} {
		if s.String() != name || !s.IsValid() {
			t.Errorf("Severity %d: %q valid=%v, want %q", s, s, s.IsValid(), name)
		}
		if got, ok := ParseSeverity(name); !ok || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", name, got, ok)
		}
	}
	if !(SeverityNone < SeverityInfo && SeverityInfo < SeverityLow && SeverityLow < SeverityMedium && SeverityMedium < SeverityHigh) {
		t.Error("severities out of rank order")
	}
	for _, name := range []string{"none", "", "HIGH", "critical"} {
		if got, ok := ParseSeverity(name); ok || got != SeverityNone {
			t.Errorf("ParseSeverity(%q) = %v, %v; want SeverityNone, false", name, got, ok)
		}
	}
	if s := Severity(9); s.IsValid() || s.String() != "Severity(9)" {
		t.Errorf("Severity(9): %q valid=%v", s, s.IsValid())
	}
}

func TestOriginZeroValue(t *testing.T) {
	var o Origin
	if o.IsValid() {
		t.Error("the zero Origin is valid")
	}
	// No Received fields: no origin, Hop -1, a reason.
	tr, err := TraceMessage(context.Background(), strings.NewReader("Subject: hi\r\n\r\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	var tracer Tracer
	for name, tr := range map[string]*Trace{"TraceMessage": tr, "TraceHops(nil)": tracer.TraceHops(nil)} {
		if tr.Origin.IsValid() || tr.Origin.Hop != -1 || tr.Origin.Reason == "" {
			t.Errorf("%s with no hops: origin %+v valid=%v, want Hop -1 with a reason, not valid", name, tr.Origin, tr.Origin.IsValid())
		}
	}
	// A trace that finds its origin at hop 0 gives a valid Origin there.
	h, err := received.Parse("from mail.example.com (mail.example.com [81.2.69.20]) by mx.example.net with SMTP; Tue, 12 Mar 2024 13:14:01 +0000")
	if err != nil {
		t.Fatal(err)
	}
	tr = tracer.TraceHops([]received.Hop{h})
	if !tr.Origin.IsValid() || tr.Origin.Hop != 0 || tr.Origin.IP.String() != "81.2.69.20" {
		t.Errorf("one hop: origin %+v valid=%v, want hop 0, 81.2.69.20", tr.Origin, tr.Origin.IsValid())
	}
}

// TestZeroValuesInTraces traces the test messages (and the corpus in
// $SPAMTRACE_CORPUS when set): every Origin of a message with hops is
// valid, and no finding lacks a severity.
func TestZeroValuesInTraces(t *testing.T) {
	var msgs []string
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(b))
	}
	if dir := os.Getenv("SPAMTRACE_CORPUS"); dir != "" {
		ms, err := corpus.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			msgs = append(msgs, m.Text)
		}
	}
	if len(msgs) == 0 {
		t.Fatal("no test messages in testdata")
	}
	for i, m := range msgs {
		tr, err := TraceMessage(context.Background(), strings.NewReader(m))
		if err != nil {
			continue
		}
		if len(tr.Hops) > 0 && (!tr.Origin.IsValid() || tr.Origin.Hop >= len(tr.Hops)) {
			t.Errorf("message %d: %d hops, origin %+v valid=%v", i, len(tr.Hops), tr.Origin, tr.Origin.IsValid())
		}
		for _, f := range tr.Findings {
			if !f.Severity.IsValid() {
				t.Errorf("message %d: finding %s (%s) has severity %v", i, f.Rule, f.Category, f.Severity)
			}
		}
	}
}

// TestZoneOf checks the zone table against the map it is built from, in
// either case, and names that are in neither.
func TestZoneOf(t *testing.T) {
	for name, z := range zoneOffsets {
		for _, n := range []string{name, strings.ToLower(name)} {
			offsets, strict, ok := zoneOf(n)
			if !ok || strict != z.strict || fmt.Sprint(offsets) != fmt.Sprint(z.offsets) {
				t.Errorf("zoneOf(%q) = %v, %v, %v, want %v, %v, true", n, offsets, strict, ok, z.offsets, z.strict)
			}
		}
	}
	for _, n := range []string{"", "XYZQW", "ABCDEF", "E1T", "ES", "ESTT", "é", "UTC "} {
		if _, ok := zoneOffsets[normZone(n)]; ok {
			continue
		}
		if _, _, ok := zoneOf(n); ok {
			t.Errorf("zoneOf(%q) found a zone", n)
		}
	}
}
