package received

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want, zone string
	}{
		{"Thu, 22 Aug 2002 18:26:25 +0100 (BST)", "2002-08-22T18:26:25+01:00", "BST"},
		{"22 Aug 2002 17:26:25 -0000", "2002-08-22T17:26:25Z", ""},
		{"Thu, 22 Aug 2002 10:00 -0600 (EST)", "2002-08-22T10:00:00-06:00", "EST"},
		{"Aug, 22 2002 10:00:00 GMT", "2002-08-22T10:00:00Z", "GMT"},
		{"Thu Aug 22 10:00:00 2002", "2002-08-22T10:00:00Z", ""},
		{"2026-04-29 19:12:16.1 +0000 UTC m=+7.8", "2026-04-29T19:12:16.1Z", "UTC"},
		{"Mon, 1 Jan 02 1:02:03 PM 0530", "2002-01-01T13:02:03+05:30", ""},
		{"Mon, 1 Jan 02 12:02:03 AM +0000", "2002-01-01T00:02:03Z", ""},
		{"Tue, 3 Sep 2002 09:43:05 -08:00", "2002-09-03T09:43:05-08:00", ""},
		{"Wed, 21 Aug 2002 23:01:11 +0000 (UTC)", "2002-08-21T23:01:11Z", "UTC"},
		{"Mon, 27 Apr 2020 14:06:17.123456 +0000 (UTC)", "2020-04-27T14:06:17.123456Z", "UTC"},
		{"Sun, 25 Aug 2002 00:46:21 CEST", "2002-08-25T00:46:21+02:00", "CEST"},
		{"Sun, 25 Aug 2002 00:46:21 EDT", "2002-08-25T00:46:21-04:00", "EDT"},
		{"Fri, 06 Sep 2002 16:49:56 +0200 (CEST) (added by postmaster)", "2002-09-06T16:49:56+02:00", "CEST"},
		{"Wed, 4 Sep 2002 15:25 +0100", "2002-09-04T15:25:00+01:00", ""},
		{"4 Sep 99 15:25:00 +0100", "1999-09-04T15:25:00+01:00", ""},
		{"  Wednesday, 04-Sep-2002 15:25:00 GMT", "2002-09-04T15:25:00Z", "GMT"},
		{"Sat, 10 Aug 2002 00:00:15 CEST", "2002-08-10T00:00:15+02:00", "CEST"},
		{"Mon, 1 Jan 2024 00:00:00 +05", "2024-01-01T00:00:00+05:00", ""},
		{"Mon, 1 Jan 2024 00:00:00 +05:30 (IST)", "2024-01-01T00:00:00+05:30", "IST"},
		// An offset out of range is dropped, not trusted: the time reads as UTC.
		{"Mon, 1 Jan 2024 00:00:00 +1500", "2024-01-01T00:00:00Z", ""},
		{"Mon, 1 Jan 2024 00:00:00 -0560", "2024-01-01T00:00:00Z", ""},
		{"Mon, 02 Sep 2002 22:58:33 BST", "2002-09-02T22:58:33+01:00", "BST"},
		{"22/08/2002 10:25:57", "2002-08-22T10:25:57Z", ""},
		{"01/08/2002 13:09:58", "2002-08-01T13:09:58Z", ""},
		{"08/22/2002 10:25:57", "2002-08-22T10:25:57Z", ""},
		{"2002/09/14 Sat 02:29:32 CDT", "2002-09-14T02:29:32-05:00", "CDT"},
		{"2002/09/14 Sat 13:06:03 GMT", "2002-09-14T13:06:03Z", "GMT"},
		{"22 Aug 2002 23:37:51", "2002-08-22T23:37:51Z", ""},
		{"Mon, 02 Sep 2002 01:07:29 -08:00", "2002-09-02T01:07:29-08:00", ""},
		{"13 May 2002 05:27:36 UT", "2002-05-13T05:27:36Z", "UT"},
		{"Tue, 10 Sep 2002 03:05:06 +0400 (MSD)", "2002-09-10T03:05:06+04:00", "MSD"},
		{"Tue, 10 Sep 2002 03:05:06 +0300 XYZT", "2002-09-10T03:05:06+03:00", "XYZT"},
		{"Thu, 22 Aug 2002 18:26:25 +0100 (GMT Daylight Time)", "2002-08-22T18:26:25+01:00", ""},
		{"Thu,  22  Aug  2002   18:26:25    +0100", "2002-08-22T18:26:25+01:00", ""},
		{"Thu, 22 Aug 2002 18:26:25 +0100 id 17abc-000", "2002-08-22T18:26:25+01:00", ""},
		{"2026-04-29T19:12:16Z", "2026-04-29T19:12:16Z", "Z"},
		{"2026-04-29 19:12:16.123456789 -0700 PDT m=+0.000000001", "2026-04-29T19:12:16.123456789-07:00", "PDT"},
		{"Thursday, August 22, 2002 6:26:25 PM -0400", "2002-08-22T18:26:25-04:00", ""},
		{"Sept 3 2002 09:43:05 +0000", "2002-09-03T09:43:05Z", ""},
		{"3 Sep 102 09:43:05 +0000", "2002-09-03T09:43:05Z", ""},
		{"Tue, 3 Sep 2002 09:43:05 +0000 (UTC)\r\n", "2002-09-03T09:43:05Z", "UTC"},
		{"Fri, 30 Feb 2002 10:00:00 +0000", "", ""},
		{"Tue, 29 Feb 2000 10:00:00 +0000", "2000-02-29T10:00:00Z", ""},
		{"Fri, 29 Feb 1900 10:00:00 +0000", "", ""},
		{"Mon, 31 Apr 2002 10:00:00 +0000", "", ""},
		{"Sat, 31 Dec 2005 23:59:60 +0000", "2006-01-01T00:00:00Z", ""},
		{"Mon, 2 Sep 2002 10:00:00 +0545", "2002-09-02T10:00:00+05:45", ""},
		{"Mon, 2 Sep 2002 10:00:00 +0013", "2002-09-02T10:00:00+00:13", ""},
		{"\xa4P\xa4\xad, 27 \xa4K\xa4\xeb 2002 01:50:37 -0700 (EDT)", "", ""},
		{"13/13/2002 10:00:00", "", ""},
		{"id XA00251", "", ""},
	}
	for _, tt := range tests {
		got, zone, err := ParseDate(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want || zone != tt.zone {
			t.Errorf("ParseDate(%q) = %s %q, want %s %q", tt.in, s, zone, tt.want, tt.zone)
		}
	}
}

func TestParseDateErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"", "received: empty date"},
		{"   ", "received: empty date"},
		{"garbage", "received: date has no day, month, year or time of day"},
		{"yesterday", "received: date has no day, month, year or time of day"},
		{"(comment only) ,;", "received: empty date"},
		{"Thu, 22 Aug 2002", "received: date has no time of day"},
		{"10:00:00", "received: date has no day, month and year"},
		{"Thu, 45 Aug 2002 10:00:00 +0000", "received: date field out of range"},
		{"Thu, 22 Aug 2002 10:61:00 +0000", "received: date field out of range"},
		{"Thu, 22 Aug 12002 10:00:00 +0000", "received: date has no day, month and year"},
		{strings.Repeat("9", 1<<20), "received: date has no day, month, year or time of day"},
		{strings.Repeat("(", 1<<20), "received: empty date"},
		{strings.Repeat("Aug ", 1<<18), "received: date has no day, month and year"},
	}
	for _, tt := range tests {
		_, _, err := ParseDate(tt.in)
		if err == nil || err.Error() != tt.err {
			t.Errorf("ParseDate(%.40q): err = %v, want %s", tt.in, err, tt.err)
			continue
		}
		var de *DateError
		if !errors.As(err, &de) {
			t.Errorf("ParseDate(%.40q): %T is no *DateError", tt.in, err)
			continue
		}
		want := tt.in
		if len(want) > maxDateLen {
			want = want[:maxDateLen]
		}
		if de.Date != want || "received: "+de.Reason != tt.err {
			t.Errorf("ParseDate(%.40q): DateError{%.40q, %q}", tt.in, de.Date, de.Reason)
		}
	}
}

// commonDates are the shapes most real headers carry.
var commonDates = []string{
	"Thu, 22 Aug 2002 18:26:25 +0100 (BST)",
	"Thu, 22 Aug 2002 12:34:53 +0100",
	"22 Aug 2002 15:25:57 -0000",
	"Thu, 22 Aug 2002 07:35:02 -0400 (EDT)",
	"Mon, 2 Sep 2002 10:00:00 GMT",
	"Aug, 28 2002 6:59:50 AM +0600",
	"2026-04-29 19:12:16.1 +0000 UTC m=+7.8",
	"22/08/2002 10:25:57",
}

// TestParseDateNoAllocs pins the allocations: none for a date read, none
// for a failure inside the package (Parse looks for a date with no ';'
// before it by trying ParseDate at each candidate), and only the
// *DateError for a failure of the exported call.
func TestParseDateNoAllocs(t *testing.T) {
	for _, in := range commonDates {
		if n := testing.AllocsPerRun(100, func() { ParseDate(in) }); n != 0 {
			t.Errorf("ParseDate(%q) allocates %v times", in, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { parseDate("garbage") }); n != 0 {
		t.Errorf("parseDate(\"garbage\") allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { ParseDate("garbage") }); n != 1 {
		t.Errorf("ParseDate(\"garbage\") allocates %v times, want 1 (its *DateError)", n)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Thu, 22 Aug 2002 18:26:25 +0100 (BST)", "2026-04-29 19:12:16.1 +0000 UTC m=+7.8", "Mon, 1 Jan 02 1:02:03 PM 0530", "(((", "1:1:1 1 1 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, zone, err := ParseDate(s)
		if err == nil && tm.IsZero() {
			t.Fatal("zero time without an error")
		}
		if zone != "" && !strings.Contains(s, zone) {
			t.Fatalf("zone %q not in the input", zone)
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParseDate("Thu, 22 Aug 2002 18:26:25 +0100 (BST)")
	}
}

func BenchmarkParseDateMix(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range commonDates {
			ParseDate(s)
		}
	}
}

// TestParseDateCorpus parses the date part of every Received header (the
// text after its last ';') and every Date header of the SpamAssassin corpus
// in $SPAMTRACE_CORPUS, and holds each to 99.5%.
func TestParseDateCorpus(t *testing.T) {
	msgs := loadCorpus(t)
	var received, dates []string
	for _, m := range msgs {
		text := strings.ReplaceAll(m.Text, "\r\n", "\n")
		if i := strings.Index(text, "\n\n"); i >= 0 {
			text = text[:i]
		}
		var name, value string
		flush := func() {
			switch strings.ToLower(name) {
			case "received":
				if k := strings.LastIndexByte(value, ';'); k >= 0 {
					received = append(received, value[k+1:])
				}
			case "date":
				dates = append(dates, value)
			}
			name, value = "", ""
		}
		for _, l := range strings.Split(text, "\n") {
			if l != "" && (l[0] == ' ' || l[0] == '\t') {
				value += " " + strings.TrimSpace(l)
				continue
			}
			flush()
			if k := strings.IndexByte(l, ':'); k > 0 {
				name, value = l[:k], strings.TrimSpace(l[k+1:])
			}
		}
		flush()
	}
	for _, set := range []struct {
		name   string
		values []string
	}{{"Received date parts", received}, {"Date headers", dates}} {
		ok := 0
		for _, v := range set.values {
			if _, _, err := ParseDate(v); err == nil {
				ok++
			} else if testing.Verbose() {
				t.Logf("%v: %q", err, v)
			}
		}
		rate := 100 * float64(ok) / float64(len(set.values))
		t.Logf("%s: %d of %d parsed (%.3f%%)", set.name, ok, len(set.values), rate)
		if rate < 99.5 {
			t.Errorf("%s: %.3f%% parsed, want at least 99.5%%", set.name, rate)
		}
	}
}

// FuzzParseDateRFC holds parseDateRFC, the one-pass reading of the
// commonest form, to what the general reading gives.
func FuzzParseDateRFC(f *testing.F) {
	for _, s := range []string{
		"Thu, 22 Aug 2002 18:26:25 +0100 (BST)", "22 Aug 2002 07:30:33 -0000", "Mon, 1 Jan 2024 00:00:00 +1400",
		"Sat, 29 Feb 2003 10:00:00 +0000", "Sun, 31 Apr 2002 10:00:00 -0500 (EST)", "Tue, 3 Sep 2002 24:00:60 +0959 (ABCDEF)",
		"Wed, 04 Sep 2002 10:00:00 +1500", "Fri, 4 Sep 2002 10:00:00 -0460 (X)", "Mar, 4 Sep 2002 10:00:00 +0100",
		"Thu, 22 AUG 2002 18:26:25 +0100 (bst)", "Thu, 22 Aug 2002 18:26:25 +0100 (B T)",
		"Fri,  9 Aug 2002 10:00:00 +0000 (GMT)", "Fri,   9 Aug 2002 10:00:00 +0000", "Fri,  19 Aug 2002 10:00:00 +0000",
		"Tue, 1 Mar 2000 00:00:00 +0000", "Wed, 1 Jan 0001 00:00:00 +0100", "Sat, 1 Jan 0000 00:00:00 -0100",
		"Fri, 31 Dec 9999 23:59:60 -1400", "Mon, 29 Feb 2400 12:00:00 +0530 (IST)", "1 Mar 1900 00:00:00 +0000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, zone, ok := parseDateRFC(s)
		if !ok {
			return
		}
		want, wantZone, reason := parseDateAny(s)
		_, off := tm.Zone()
		_, wantOff := want.Zone()
		// fixedZone shares a Location for the offsets it caches, and
		// makes a new one (same name and offset) for the others.
		cached := off%(15*60) == 0 && off >= -14*3600 && off <= 14*3600
		same := tm == want || !cached && tm.Equal(want) && tm.Location().String() == want.Location().String()
		if reason != "" || !same || off != wantOff || zone != wantZone {
			t.Fatalf("parseDateRFC(%q) = %v %q, parseDateAny %v %q %q", s, tm, zone, want, wantZone, reason)
		}
	})
}
