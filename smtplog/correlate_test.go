package smtplog

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/received"
)

func mustHop(t *testing.T, v string) received.Hop {
	t.Helper()
	h, err := received.Parse(v)
	if err != nil {
		t.Fatalf("%v: %s", err, v)
	}
	return h
}

// The Received header a Stalker server would write for the seed's spam
// session (the seed pages show the log, not the header).
func TestCorrelateStalkerSeed(t *testing.T) {
	page := seedFile(t, "001_a78e0ae98e8cd220.txt")
	ss, _ := readAll(t, stalkerLines(page, "509")+stalkerLines(page, "750"), nil)
	x := NewIndex(ss)
	good := mustHop(t, "from desk98 ([209.162.104.65]) by 209.31.44.214 (Stalker SMTP Server 1.8b3) with SMTP id S.0000014724 for recipes@hypertouch.com; Wed, 28 Apr 1999 21:30:49 -0700")
	forged := mustHop(t, "from mail.321media.com ([209.162.104.66]) by 209.31.44.214 (Stalker SMTP Server 1.8b3) with SMTP id S.0000014724; Wed, 28 Apr 1999 21:30:49 -0700")
	noID := mustHop(t, "from Made-Up-Name-desk98 ([36.37.0.13]) by 209.31.44.214 with SMTP; Thu, 29 Apr 1999 02:38:28 -0700")
	other := mustHop(t, "from a.example.net ([192.0.2.1]) by mx.example.org with SMTP id S.0000014724; Thu, 29 Apr 1999 02:38:28 -0700")
	vs := Correlate([]received.Hop{good, forged, noID, other}, x)
	if len(vs) != 3 {
		t.Fatalf("verdicts %+v", vs)
	}
	if v := vs[0]; v.Hop != 0 || v.By != "queue-id" || v.Contradicts() || v.Session.Messages[0].QueueID != "S.0000014724" {
		t.Errorf("good: %+v", v)
	}
	fields := func(v Verdict) (agree, disagree []string) {
		for _, c := range v.Checks {
			if c.Agree {
				agree = append(agree, c.Field)
			} else {
				disagree = append(disagree, c.Field)
			}
		}
		return
	}
	if a, d := fields(vs[0]); !slices.Equal(a, []string{"ip", "helo", "recipient", "queue-id"}) || d != nil {
		t.Errorf("good checks %v %v", a, d)
	}
	if a, d := fields(vs[1]); !vs[1].Contradicts() || !slices.Equal(d, []string{"ip", "helo"}) || !slices.Equal(a, []string{"queue-id"}) {
		t.Errorf("forged checks %v %v", a, d)
	}
	// no queue id: found by client and time of day
	if v := vs[2]; v.Hop != 2 || v.By != "time-client" || v.Contradicts() || v.Session.ID != "SMTP-750" {
		t.Errorf("no id: %+v", v)
	}
}

func TestCorrelateNoSession(t *testing.T) {
	in := mustHop(t, "from x.example.com (x.example.com [203.0.113.5]) by mx.example.org (Postfix) with ESMTP id 1234567890; Tue, 12 Mar 2024 09:14:31 +0100")
	late := mustHop(t, "from x.example.com (x.example.com [203.0.113.5]) by mx.example.org (Postfix) with ESMTP id 1234567890; Tue, 12 Mar 2024 19:14:31 +0100")
	// a short syslog host name may be another organisation's "mx":
	// no claim that a session is missing
	short, _ := sessionsOf(t, "postfix-interleaved")
	if vs := Correlate([]received.Hop{in, late}, NewIndex(short)); len(vs) != 0 {
		t.Errorf("short name: %+v", vs)
	}
	full, _ := readAll(t, strings.ReplaceAll(formatSamples["postfix-interleaved"], " mx ", " mx.example.org "), &Config{Year: 2024})
	vs := Correlate([]received.Hop{in, late}, NewIndex(full))
	if len(vs) != 1 || vs[0].Hop != 0 || vs[0].Session != nil || !vs[0].Contradicts() {
		t.Errorf("verdicts %+v", vs)
	}
}

// A sender holding two connections at once: the hop is matched to the
// one that agrees with it, not to the nearest in time.
func TestCorrelateParallel(t *testing.T) {
	log := `Mar 12 09:14:30 mx.example.org postfix/smtpd[1]: connect from out.example.net[192.0.2.20]
Mar 12 09:14:30 mx.example.org postfix/smtpd[2]: connect from out.example.net[192.0.2.20]
Mar 12 09:14:31 mx.example.org postfix/smtpd[1]: NOQUEUE: reject: RCPT from out.example.net[192.0.2.20]: 550 5.1.1 no such user; from=<a@example.net> to=<x@example.org> proto=ESMTP helo=<out.example.net>
Mar 12 09:14:31 mx.example.org postfix/smtpd[2]: NOQUEUE: reject: RCPT from out.example.net[192.0.2.20]: 550 5.1.1 no such user; from=<b@example.net> to=<y@example.org> proto=ESMTP helo=<out.example.net>
Mar 12 09:14:32 mx.example.org postfix/smtpd[1]: disconnect from out.example.net[192.0.2.20]
Mar 12 09:14:32 mx.example.org postfix/smtpd[2]: disconnect from out.example.net[192.0.2.20]
`
	ss, _ := readAll(t, log, &Config{Year: 2024})
	x := NewIndex(ss)
	h := mustHop(t, "from out.example.net (out.example.net [192.0.2.20]) by mx.example.org (Postfix) with ESMTP (envelope-from <b@example.net>); Tue, 12 Mar 2024 09:14:31 +0000")
	if h.EnvelopeFrom != "b@example.net" {
		t.Skipf("the parser does not read envelope-from here: %+v", h)
	}
	vs := Correlate([]received.Hop{h}, x)
	if len(vs) != 1 || vs[0].Contradicts() || vs[0].Session.MailFrom != "b@example.net" {
		t.Errorf("verdicts %+v", vs)
	}
	h.EnvelopeFrom = "c@example.net"
	if vs := Correlate([]received.Hop{h}, x); len(vs) != 1 || !vs[0].Contradicts() {
		t.Errorf("no session agrees: %+v", vs)
	}
}

func TestOpenRotated(t *testing.T) {
	dir := t.TempDir()
	lines := strings.SplitAfter(formatSamples["postfix-interleaved"], "\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Join(lines[:4], "")))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "maillog.2.gz"), gz.Bytes(), 0o644)
	// a rotated file whose last line lacks its line end
	os.WriteFile(filepath.Join(dir, "maillog.1"), []byte(strings.TrimSuffix(strings.Join(lines[4:8], ""), "\n")), 0o644)
	os.WriteFile(filepath.Join(dir, "maillog"), []byte(strings.Join(lines[8:], "")), 0o644)
	names := []string{filepath.Join(dir, "maillog"), filepath.Join(dir, "maillog.1"), filepath.Join(dir, "maillog.2.gz")}
	SortRotated(names)
	for i, want := range []string{"maillog.2.gz", "maillog.1", "maillog"} {
		if filepath.Base(names[i]) != want {
			t.Fatalf("order %v", names)
		}
	}
	f := OpenFiles(names)
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != formatSamples["postfix-interleaved"] {
		t.Errorf("stream differs:\n%s", b)
	}
	if _, err := io.ReadAll(OpenFiles([]string{filepath.Join(dir, "absent")})); err == nil || !strings.HasPrefix(err.Error(), "smtplog: ") {
		t.Errorf("error %v", err)
	}
}

func TestCorrelateEximSendmail(t *testing.T) {
	exim, _ := sessionsOf(t, "exim")
	sm, _ := sessionsOf(t, "sendmail")
	x := NewIndex(append(exim, sm...))
	hops := []received.Hop{
		mustHop(t, "from mail.example.net ([192.0.2.10]:51234 helo=helo.example.net) by mx.example.org with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <alice@example.net>) id 1rk3Ab-0003xY-Lm for bob@example.org; Tue, 12 Mar 2024 09:14:31 +0000"),
		mustHop(t, "from mail.example.net (mail.example.net [192.0.2.10]) by mx.example.org (8.15.2/8.15.2) with ESMTP id 2CC9EVkx004321 for <bob@example.org>; Tue, 12 Mar 2024 09:14:31 GMT"),
		mustHop(t, "from helo.example.net ([192.0.2.10]:51234 helo=other.example.net) by mx.example.org with esmtps (Exim 4.96) (envelope-from <mallory@example.net>) id 1rk3Ab-0003xY-Lm; Tue, 12 Mar 2024 09:14:31 +0000"),
	}
	vs := Correlate(hops, x)
	if len(vs) != 3 {
		t.Fatalf("verdicts %+v", vs)
	}
	if vs[0].Contradicts() || len(vs[0].Checks) != 5 || vs[1].Contradicts() || vs[1].Session.Format != FormatSendmail {
		t.Errorf("exim %+v\nsendmail %+v", vs[0], vs[1])
	}
	bad := 0
	for _, c := range vs[2].Checks {
		if !c.Agree {
			bad++
		}
	}
	if !vs[2].Contradicts() || bad != 2 {
		t.Errorf("forged exim hop %+v", vs[2])
	}
}

// Postfix reuses short queue ids: the session at the hop's time is the one.
func TestCorrelateReusedQueueID(t *testing.T) {
	log := `Mar 10 08:00:00 mx.example.org postfix/smtpd[1]: connect from old.example.net[198.51.100.1]
Mar 10 08:00:01 mx.example.org postfix/smtpd[1]: 4F2A3B1C2D: client=old.example.net[198.51.100.1]
Mar 10 08:00:02 mx.example.org postfix/qmgr[2]: 4F2A3B1C2D: removed
Mar 10 08:00:03 mx.example.org postfix/smtpd[1]: disconnect from old.example.net[198.51.100.1]
Mar 12 09:14:30 mx.example.org postfix/smtpd[1]: connect from mail.example.net[192.0.2.10]
Mar 12 09:14:31 mx.example.org postfix/smtpd[1]: 4F2A3B1C2D: client=mail.example.net[192.0.2.10]
Mar 12 09:14:32 mx.example.org postfix/qmgr[2]: 4F2A3B1C2D: removed
Mar 12 09:14:33 mx.example.org postfix/smtpd[1]: disconnect from mail.example.net[192.0.2.10]
`
	ss, _ := readAll(t, log, &Config{Year: 2024})
	x := NewIndex(ss)
	h := mustHop(t, "from mail.example.net (mail.example.net [192.0.2.10]) by mx.example.org (Postfix) with ESMTP id 4F2A3B1C2D; Tue, 12 Mar 2024 09:14:31 +0000")
	if vs := Correlate([]received.Hop{h}, x); len(vs) != 1 || vs[0].Contradicts() || vs[0].Session.Client.String() != "192.0.2.10" {
		t.Errorf("verdicts %+v", vs)
	}
	// on a day the log has no session with that id at that time
	h = mustHop(t, "from mail.example.net (mail.example.net [192.0.2.10]) by mx.example.org (Postfix) with ESMTP id 4F2A3B1C2D; Mon, 11 Mar 2024 12:00:00 +0000")
	if vs := Correlate([]received.Hop{h}, x); len(vs) != 1 || vs[0].Session != nil {
		t.Errorf("verdicts %+v", vs)
	}
}
