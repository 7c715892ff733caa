package received

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
	"github.com/spamtrace/spamtrace/internal/corpus"
)

func TestReadMessage(t *testing.T) {
	raw := "From sender@example.org Mon Jan  1 00:00:00 2024\n" +
		"Received: from a.example (a.example [192.0.2.1])\n\tby b.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:02 +0000\n" +
		"Received: from c.example ([192.0.2.3]) by a.example with SMTP; Mon, 1 Jan 2024 00:00:01 +0000\n" +
		"this line has no colon\n" +
		"Subject: hi\n\nbody\nReceived: not a header\n"
	m, err := ReadMessage(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hops) != 2 || m.Hops[0].By.Host != "b.example" || m.Hops[1].From.IPText != "192.0.2.3" {
		t.Fatalf("hops = %+v", m.Hops)
	}
	if m.Header.Get("Subject") != "hi" {
		t.Errorf("the field after a malformed line was lost")
	}
	if len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Error(), "malformed") {
		t.Errorf("errors = %v", m.Errors)
	}
	if _, err := ReadMessage(strings.NewReader(""), nil); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty input: %v", err)
	}
}

// Hostile input gets an answer, bounded by the caps: no panic, no
// unbounded memory.
func TestReadMessageHostile(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(*testing.T, *Message, error)
	}{
		{"20 MB header line", "Received: from " + strings.Repeat("a", 20<<20) + "\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if m == nil || !m.Truncated {
				t.Errorf("not truncated: %v", err)
			}
		}},
		{"100,000 Received headers", strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 100000) + "\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) > 100 || !m.Truncated {
				t.Errorf("hops %d, truncated %v, err %v", len(m.Hops), m.Truncated, err)
			}
		}},
		{"50,000 nested parentheses", "Received: from x " + strings.Repeat("(", 50000) + " by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 {
				t.Errorf("err %v", err)
			}
		}},
		{"NUL bytes", "Received: from x\x00y ([192.0.2.1]) by \x00; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: \x00\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 {
				t.Errorf("err %v", err)
			}
		}},
		{"invalid UTF-8", "Received: from \xff\xfe ([192.0.2.1]) by \xc3\x28; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || m.Hops[0].From.IPText != "192.0.2.1" {
				t.Errorf("err %v", err)
			}
		}},
		{"CR-only line endings", "Received: from a ([192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 +0000\rSubject: hi\r\rbody", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 || m.Header.Get("Subject") != "hi" || strings.Contains(m.Hops[0].Raw, "\r") {
				t.Errorf("hops %+v, err %v", m.Hops, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tt.raw), nil)
			tt.check(t, m, err)
		})
	}
}

func TestReadMessageLimits(t *testing.T) {
	raw := strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 10) + "\r\n"
	m, err := ReadMessage(strings.NewReader(raw), &Limits{MaxHops: 3, MaxHeaderBytes: 1 << 20})
	if err != nil || len(m.Hops) != 3 || !m.Truncated {
		t.Errorf("MaxHops: %d hops, err %v", len(m.Hops), err)
	}
	m, _ = ReadMessage(strings.NewReader(raw), &Limits{MaxHeaderBytes: 200})
	if !m.Truncated || len(m.Hops) > 3 {
		t.Errorf("MaxHeaderBytes: %d hops, truncated %v", len(m.Hops), m.Truncated)
	}
}

// TestReadMessageBoundedMemory holds hostile inputs to what the caps
// allow: reading may allocate a few times MaxHeaderBytes, never the input.
func TestReadMessageBoundedMemory(t *testing.T) {
	inputs := map[string]string{
		"20 MB line":         "Received: from " + strings.Repeat("a", 20<<20) + "\r\n\r\n",
		"100,000 Received":   strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 100000) + "\r\n",
		"20 MB of CR":        "Subject: x" + strings.Repeat("\r", 20<<20),
		"20 MB no colon":     strings.Repeat("no colon here\n", 1<<20) + "\n",
		"20 MB of NUL bytes": "Received: " + strings.Repeat("\x00", 20<<20),
	}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m, _ := ReadMessage(strings.NewReader(raw), nil)
			runtime.ReadMemStats(&after)
			if m == nil {
				return
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16*defaultMaxHeaderBytes {
				t.Errorf("allocated %d bytes for a %d-byte input", got, len(raw))
			}
			if len(m.Hops) > defaultMaxHops || len(m.Errors) > maxLineErrors+3 {
				t.Errorf("%d hops, %d errors", len(m.Hops), len(m.Errors))
			}
		})
	}
}

// sampleMessage is shaped like a corpus message: an mbox line, a dozen
// fields, five Received hops and a body that must not be read.
const sampleMessage = "From rssfeeds@example.com  Thu Aug 22 15:25:29 2002\n" +
	"Return-Path: <list-admin@example.org>\n" +
	"Delivered-To: user@localhost.example.com\n" +
	"Received: from localhost (localhost [127.0.0.1])\n\tby mail.example.com (Postfix) with ESMTP id 4B4F643C36\n\tfor <user@localhost>; Thu, 22 Aug 2002 10:25:26 -0400 (EDT)\n" +
	"Received: from mail.example.net [192.0.2.10]\n\tby localhost with IMAP (fetchmail-5.9.0)\n\tfor user@localhost (single-drop); Thu, 22 Aug 2002 15:25:26 +0100 (IST)\n" +
	"Received: from lists.example.org (lists.example.org [198.51.100.3]) by\n    mail.example.net (8.11.6/8.11.6) with ESMTP id g7MEKXZ29896 for\n    <user@example.net>; Thu, 22 Aug 2002 15:20:33 +0100\n" +
	"Received: from [203.0.113.7] (helo=relay.example.com) by lists.example.org\n    with esmtp (Exim 3.31-VA-mm2 #1 (Debian)) id 17htqt-0002nT-00 for\n    <list@lists.example.org>; Thu, 22 Aug 2002 07:18:03 -0700\n" +
	"Received: (qmail 4141 invoked by uid 104); 22 Aug 2002 15:25:57 -0000\n" +
	"From: Someone <someone@example.com>\n" +
	"To: list@lists.example.org\n" +
	"Subject: Re: a question about headers\n" +
	"Message-Id: <20020822142509.1234@example.com>\n" +
	"Date: Thu, 22 Aug 2002 10:25:09 -0400\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=us-ascii\n" +
	"\n" + "body line\n"

func BenchmarkReadMessage(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(sampleMessage)))
	for b.Loop() {
		if _, err := ReadMessage(strings.NewReader(sampleMessage), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadMessageCorpus reads every message of the SpamAssassin
// corpus in $SPAMTRACE_CORPUS (the npm package's data directory).
func BenchmarkReadMessageCorpus(b *testing.B) {
	msgs := loadCorpus(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, m := range msgs {
			if _, err := ReadMessage(strings.NewReader(m.Text), nil); err != nil && !errors.Is(err, ErrNoHeader) {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
}

func loadCorpus(tb testing.TB) []corpus.Message {
	dir := os.Getenv("SPAMTRACE_CORPUS")
	if dir == "" {
		tb.Skip("SPAMTRACE_CORPUS not set")
	}
	msgs, err := corpus.Load(dir)
	if err != nil || len(msgs) == 0 {
		tb.Fatalf("corpus %s: %d messages, %v", dir, len(msgs), err)
	}
	return msgs
}

func TestReadMessageMalformedLines(t *testing.T) {
	long := strings.Repeat("x", 40<<10)
	raw := "Received: from a ([192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 +0000\r" +
		"X-Long: " + long + "\r" +
		"no colon\r\tits continuation\r" +
		"Bad Name: v\r" +
		"Subject: hi\r\rReceived: in the body\r"
	m, err := ReadMessage(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hops) != 1 || m.Header.Get("Subject") != "hi" || m.Header.Get("X-Long") != long {
		t.Fatalf("hops %d, subject %q, X-Long %d bytes", len(m.Hops), m.Header.Get("Subject"), len(m.Header.Get("X-Long")))
	}
	want := []string{`received: malformed header line "no colon" skipped`, `received: malformed header line "Bad Name: v" skipped`}
	if len(m.Errors) != len(want) {
		t.Fatalf("errors = %v", m.Errors)
	}
	for i, w := range want {
		if m.Errors[i].Error() != w {
			t.Errorf("error %d = %v, want %s", i, m.Errors[i], w)
		}
	}

	m, _ = ReadMessage(strings.NewReader(strings.Repeat("junk\n", 1000)+"Subject: x\n\n"), nil)
	if len(m.Errors) != maxLineErrors+1 || m.Errors[maxLineErrors].Error() != "received: 980 more malformed header lines skipped" || m.Header.Get("Subject") != "x" {
		t.Errorf("%d errors, last %v", len(m.Errors), m.Errors[len(m.Errors)-1])
	}
}

func FuzzReadMessage(f *testing.F) {
	f.Add(sampleMessage)
	f.Add("Received: a\r\n\tb\rX: y\n\nbody")
	f.Add("From x\n \tcont\nno colon\nBad Key: v\n:empty\n\n")
	f.Fuzz(func(t *testing.T, raw string) {
		lim := &Limits{MaxHeaderBytes: 4096, MaxHops: 5}
		m, err := ReadMessage(strings.NewReader(raw), lim)
		if m == nil {
			if err == nil {
				t.Fatal("no message and no error")
			}
			return
		}
		if len(m.Hops) > 5 || len(m.Hops) != len(m.HopErrs) {
			t.Fatalf("%d hops, %d hop errors", len(m.Hops), len(m.HopErrs))
		}
		if len(m.Errors) > maxLineErrors+4 {
			t.Fatalf("%d errors", len(m.Errors))
		}
	})
}

// Limits.Keep drops the fields it refuses, continuation lines included,
// but never a Received field.
func TestReadMessageKeep(t *testing.T) {
	raw := "Received: from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:02 +0000\n" +
		"X-Junk: one\n\ttwo: still junk\n" +
		"Subject: kept\n" +
		"received: from c.example ([192.0.2.3]) by a.example; Mon, 1 Jan 2024 00:00:01 +0000\n" +
		"X-Junk : three\n\nbody\n"
	lim := &Limits{Keep: func(name []byte) bool { return string(name) == "Subject" }}
	m, err := ReadMessage(strings.NewReader(raw), lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hops) != 2 || m.Hops[1].From.IPText != "192.0.2.3" {
		t.Fatalf("hops = %+v", m.Hops)
	}
	if m.Header.Get("Subject") != "kept" || m.Header.Has("X-Junk") {
		t.Errorf("subject %q, X-Junk kept %v", m.Header.Get("Subject"), m.Header.Has("X-Junk"))
	}
	var names []string
	for _, f := range m.Header {
		names = append(names, f.Key())
	}
	if got := strings.Join(names, ","); got != "Received,Subject,Received" {
		t.Errorf("fields = %s", got)
	}
	if len(m.Errors) != 0 {
		t.Errorf("errors = %v", m.Errors)
	}
}

// The Header ReadMessage builds holds, for a well-formed block, exactly the
// fields go-message's own reader gives: names, values and raw bytes, in order.
func TestHeaderAsGoMessageReadsIt(t *testing.T) {
	blocks := []string{
		"Received: from a by b; Tue, 12 Mar 2024 13:14:01 +0000\nSubject: x\n\nbody",
		"Received: from a\r\n\tby b;\r\n  Tue, 12 Mar 2024 13:14:01 +0000\r\nSubject: x\r\n\r\n",
		"Subject : spaced name\nX-Empty:\nX-Blank-Fold: a\n   \n b\nreceived: lower\nRECEIVED: upper\n\n",
		"From: a@example.com\nTo: b@example.org,\n c@example.org\nX-Tab:\tvalue\t\nDate: Tue, 12 Mar 2024 13:14:01 +0000",
		"A: 1\nB: 2\nA: 3\nB: 4\nA: 5\n\n",
		":no name\nSubject: after\n\n",
	}
	for _, blk := range blocks {
		m, err := ReadMessage(strings.NewReader(blk), nil)
		if err != nil {
			t.Fatalf("%q: %v", blk, err)
		}
		want, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(strings.ReplaceAll(strings.ReplaceAll(blk, "\r\n", "\n"), "\n", "\r\n"))))
		if err != nil && err != io.EOF {
			t.Fatalf("%q: go-message: %v", blk, err)
		}
		if got, w := fieldList(m.Header), textprotoFieldList(want); got != w {
			t.Errorf("%q:\n got %s\nwant %s", blk, got, w)
		}
		for _, k := range []string{"Received", "A", "Subject"} {
			if got, w := strings.Join(m.Header.Values(k), "|"), strings.Join(want.Values(k), "|"); got != w {
				t.Errorf("%q: Values(%s) = %q, want %q", blk, k, got, w)
			}
		}
	}
}

// fieldList lists the fields of h as textprotoFieldList lists those of a
// go-message header.
func fieldList(h Header) string {
	var b strings.Builder
	for _, f := range h {
		fmt.Fprintf(&b, "[%s=%q raw %q]", f.Key(), f.Value, f.Raw)
	}
	return b.String()
}

func textprotoFieldList(h textproto.Header) string {
	var b strings.Builder
	for f := h.Fields(); f.Next(); {
		raw, _ := f.Raw()
		fmt.Fprintf(&b, "[%s=%q raw %q]", f.Key(), f.Value(), raw)
	}
	return b.String()
}

// ReadHeader leaves the parsing to its caller; ParseTo gives what Parse
// gives, overwriting whatever the destination held.
func TestReadHeaderAndParseTo(t *testing.T) {
	raw := "Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:02 +0000\n" +
		"Received: from c.example ([192.0.2.3]) by a.example with SMTP; Mon, 1 Jan 2024 00:00:01 +0000\n" +
		"Received: by localhost\n\n"
	m, err := ReadHeader(strings.NewReader(raw), &Limits{MaxHops: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Received) != 2 || m.Hops != nil || !m.Truncated {
		t.Fatalf("Received = %q, Hops = %v, Truncated = %v", m.Received, m.Hops, m.Truncated)
	}
	full, err := ReadMessage(strings.NewReader(raw), &Limits{MaxHops: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.Received {
		want, wantErr := Parse(v)
		got := Hop{Raw: "stale", ID: "stale", Comments: []string{"stale"}}
		gotErr := ParseTo(&got, v)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("ParseTo(%q) = %+v, %v; Parse gives %+v, %v", v, got, gotErr, want, wantErr)
		}
		if !reflect.DeepEqual(full.Hops[i], want) {
			t.Errorf("ReadMessage hop %d = %+v, want %+v", i, full.Hops[i], want)
		}
	}
}

// Every byte cap cuts the block at a whole line: the fields read are the
// fields of a prefix of the header, never a panic or a broken field.
func TestReadMessageEveryCap(t *testing.T) {
	raw := "Received: from a.example (a.example [192.0.2.1])\r\n\tby b.example with ESMTP id 1;\r\n Mon, 1 Jan 2024 00:00:02 +0000\r\n" +
		"X-Dropped: by Keep\n continued\n" +
		"no colon here\n" +
		"Subject: one\n  two\n" +
		"Received: from c.example ([192.0.2.3]) by a.example with SMTP; Mon, 1 Jan 2024 00:00:01 +0000\n\nbody\n"
	full, err := ReadMessage(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	all := fieldList(full.Header)
	keep := func(name []byte) bool { return !bytes.EqualFold(name, []byte("X-Dropped")) }
	for max := int64(1); max <= int64(len(raw))+1; max++ {
		m, err := ReadMessage(strings.NewReader(raw), &Limits{MaxHeaderBytes: max, Keep: keep})
		if err != nil && !errors.Is(err, ErrNoHeader) {
			t.Fatalf("cap %d: %v", max, err)
		}
		for _, f := range m.Header {
			raw := f.Raw
			if !strings.HasSuffix(raw, "\r\n") || strings.IndexByte(raw, ':') < 0 {
				t.Errorf("cap %d: field %q is not whole", max, raw)
			}
			if f.Key() == "X-Dropped" {
				t.Errorf("cap %d: Keep ignored", max)
			}
		}
		for _, v := range m.Received {
			if !strings.Contains(all, v[:min(len(v), 20)]) {
				t.Errorf("cap %d: Received %q is not one of the message's", max, v)
			}
		}
	}
}
