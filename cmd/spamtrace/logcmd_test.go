package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPostfixLog = `Mar 12 09:14:30 mx postfix/smtpd[101]: connect from mail.example.net[192.0.2.10]
Mar 12 09:14:31 mx postfix/smtpd[101]: 4F2A3B1C2D: client=mail.example.net[192.0.2.10]
Mar 12 09:14:31 mx postfix/cleanup[103]: 4F2A3B1C2D: message-id=<m1@example.net>
Mar 12 09:14:32 mx postfix/qmgr[104]: 4F2A3B1C2D: from=<alice@example.net>, size=999, nrcpt=1 (queue active)
Mar 12 09:14:32 mx postfix/smtpd[101]: disconnect from mail.example.net[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Mar 12 09:14:33 mx postfix/local[105]: 4F2A3B1C2D: to=<bob@example.org>, relay=local, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)
Mar 12 09:14:33 mx postfix/qmgr[104]: 4F2A3B1C2D: removed
Mar 12 09:20:00 mx postfix/smtpd[101]: connect from unknown[198.51.100.7]
Mar 12 09:20:01 mx postfix/smtpd[101]: warning: non-SMTP command from unknown[198.51.100.7]: POST / HTTP/1.0
Mar 12 09:20:01 mx postfix/smtpd[101]: disconnect from unknown[198.51.100.7] unknown=0/1 commands=0/1
`

func TestLogSubcommand(t *testing.T) {
	dir := t.TempDir()
	// the older half rotated away and compressed, as logrotate leaves it
	lines := strings.SplitAfter(testPostfixLog, "\n")
	var gz bytes.Buffer
	zw := gzipWriter(&gz)
	zw.Write([]byte(strings.Join(lines[:3], "")))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "mail.log.1.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "mail.log"), []byte(strings.Join(lines[3:], "")), 0o644)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"log", "-json", "-year", "2024", filepath.Join(dir, "mail.log"), filepath.Join(dir, "mail.log.1.gz")}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var v struct {
			Version int            `json:"version"`
			Session map[string]any `json:"session"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		got = append(got, v.Session)
	}
	if len(got) != 2 {
		t.Fatalf("%d sessions: %s", len(got), out.String())
	}
	msgs := got[0]["messages"].([]any)
	if got[0]["client"] != "192.0.2.10" || len(msgs) != 1 || msgs[0].(map[string]any)["queue_id"] != "4F2A3B1C2D" || got[0]["start"] != "2024-03-12T09:14:30Z" {
		t.Errorf("session %v", got[0])
	}
	if an := got[1]["anomalies"].([]any); len(an) != 1 || an[0] != "http-on-smtp" {
		t.Errorf("probe %v", got[1])
	}
	if !strings.Contains(errb.String(), "10 lines, 2 sessions") {
		t.Errorf("stderr %q", errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"log", filepath.Join(dir, "mail.log")}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "status=sent") {
		t.Errorf("text: %d %s", code, out.String())
	}
}

func TestLogFlag(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "mail.log")
	// a full host name: the log may say a hop's session is missing
	os.WriteFile(logf, []byte(strings.ReplaceAll(testPostfixLog, " mx ", " mx.example.org ")), 0o644)
	// the log's syslog stamps have no year: any year's 12 March matches
	year := "2019"
	msg := func(name, ip, id string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("Received: from mail.example.net (mail.example.net ["+ip+"])\r\n"+
			"\tby mx.example.org (Postfix) with ESMTP id "+id+"\r\n\tfor <bob@example.org>; 12 Mar "+year+" 09:14:31 +0100 (CET)\r\n"+
			"From: alice@example.net\r\nSubject: x\r\n\r\nbody\r\n"), 0o644)
		return p
	}
	good := msg("good.eml", "192.0.2.10", "4F2A3B1C2D")
	forged := msg("forged.eml", "203.0.113.50", "4F2A3B1C2D")
	missing := msg("missing.eml", "203.0.113.50", "9999999999")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-json", "-log", logf, good, forged, missing}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	recs := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	want := []struct{ rule, sev string }{{"log-confirms", "info"}, {"log-contradicts", "high"}, {"log-no-session", "medium"}}
	for i, w := range want {
		var v struct {
			Findings []struct{ Rule, Category, Severity string } `json:"findings"`
		}
		json.Unmarshal([]byte(recs[i]), &v)
		found := false
		for _, f := range v.Findings {
			if f.Rule == w.rule && f.Severity == w.sev && strings.HasPrefix(f.Category, "log-") {
				found = true
			}
		}
		if !found {
			t.Errorf("message %d: no %s finding in %s", i, w.rule, recs[i])
		}
	}
}

func gzipWriter(b *bytes.Buffer) *gzip.Writer { return gzip.NewWriter(b) }
