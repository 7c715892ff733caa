package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/trace"
)

func BenchmarkAppendRecord(b *testing.B) {
	raw, err := os.ReadFile(sample("gmail-to-postfix.eml"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := (&trace.Tracer{}).Trace(context.Background(), bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	r := &record{file: "gmail-to-postfix.eml", tr: tr}
	buf := appendRecord(nil, r, nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRecord(buf[:0], r, nil)
	}
}

// TestNoOrigin writes every format for a trace without an origin, the one
// of a message with no Received fields and a hand-made zero Trace: none
// may show hop 0 as the origin.
func TestNoOrigin(t *testing.T) {
	none, err := trace.TraceMessage(context.Background(), bytes.NewReader([]byte("Subject: hi\r\n\r\nbody\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*trace.Trace{"no Received": none, "zero Trace": {}} {
		r := &record{file: "m.eml", tr: tr}
		if js := string(appendRecord(nil, r, nil)); !strings.Contains(js, `"origin":{"hop":-1,"ip":"",`) {
			t.Errorf("%s: JSON %s", name, js)
		}
		var text, arf, dot bytes.Buffer
		writeText(&text, r, false)
		writeARF(&arf, r)
		writeDOT(&dot, r)
		if !strings.Contains(text.String(), "Origin: none") || strings.Contains(text.String(), "at hop 0") {
			t.Errorf("%s: text\n%s", name, text.String())
		}
		if !strings.Contains(arf.String(), "message from an unknown address") || strings.Contains(arf.String(), "Source-IP:") {
			t.Errorf("%s: ARF\n%s", name, arf.String())
		}
		if !strings.HasPrefix(dot.String(), "digraph") {
			t.Errorf("%s: DOT\n%s", name, dot.String())
		}
	}
}

func TestAppendRecordClientRecords(t *testing.T) {
	msg := "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n" +
		"        by mx.google.com with SMTPS id 98e67ed59e1d1; Sat, 19 Oct 2024 00:59:09 -0700 (PDT)\n" +
		"Received-SPF: pass (google.com: domain of a@example.org designates 209.85.220.41 as permitted sender) client-ip=209.85.220.41;\n" +
		"Subject: x\n\nbody\n"
	tr, err := trace.TraceMessage(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Origin struct {
			IP         string `json:"ip"`
			RecordedBy string `json:"recorded_by"`
		} `json:"origin"`
		ClientRecords []struct {
			Field, Writer, IP string
		} `json:"client_records"`
	}
	out := appendRecord(nil, &record{file: "x", tr: tr}, nil)
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if v.Origin.IP != "209.85.220.41" || v.Origin.RecordedBy != "google.com" {
		t.Errorf("origin = %+v", v.Origin)
	}
	if len(v.ClientRecords) != 1 || v.ClientRecords[0].Writer != "google.com" || v.ClientRecords[0].IP != "209.85.220.41" || v.ClientRecords[0].Field != "Received-Spf" {
		t.Errorf("client_records = %+v", v.ClientRecords)
	}
}

// appendRFC3339 writes what AppendFormat writes with time.RFC3339, for
// every zone offset form and years at and past the edges it handles.
func TestAppendRFC3339(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("EDT", -4*3600), time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("odd", -(3*3600 + 25*60 + 7)), time.FixedZone("zero", 0), time.FixedZone("far", 100*3600),
		time.FixedZone("east", 14*3600)}
	if l, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		zones = append(zones, l)
	}
	times := []time.Time{time.Date(2002, 8, 22, 7, 36, 16, 0, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 12, 0, 0, 0, time.UTC), time.Unix(0, 0), time.Unix(1<<40, 0)}
	for i := range 200 {
		times = append(times, time.Unix(int64(i)*7919*86400+int64(i)*3607, 0))
	}
	for _, tm := range times {
		for _, z := range zones {
			u := tm.In(z)
			if got, want := string(appendRFC3339(nil, u)), u.Format(time.RFC3339); got != want {
				t.Errorf("%v: %s, want %s", u, got, want)
			}
		}
	}
}
