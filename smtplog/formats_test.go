package smtplog

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// Lines in the formats the MTAs' documentation describes, written by us
// with documentation addresses (RFC 5737) and names.
var formatSamples = map[string]string{
	// Exim's mainlog (Exim specification, "Log files"), log_selector
	// +smtp_connection +incoming_port
	"exim": `2024-03-12 09:14:30 SMTP connection from mail.example.net [192.0.2.10]:51234 (TCP/IP connection count = 1)
2024-03-12 09:14:31 1rk3Ab-0003xY-Lm <= alice@example.net H=mail.example.net (helo.example.net) [192.0.2.10]:51234 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=2345 id=abc.123@example.net T="Quarterly report" for bob@example.org
2024-03-12 09:14:32 1rk3Ab-0003xY-Lm => bob <bob@example.org> R=local_user T=local_delivery
2024-03-12 09:14:32 1rk3Ab-0003xY-Lm Completed
2024-03-12 09:14:33 SMTP connection from mail.example.net (helo.example.net) [192.0.2.10]:51234 closed by QUIT
2024-03-12 09:20:01 H=(desk98) [198.51.100.7]:1957 F=<spam@example.com> rejected RCPT <bob@example.org>: JunkMail rejected - 198.51.100.7 is listed at bl.spamcop.net
2024-03-12 09:20:02 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[203.0.113.9]:4711 input="GET / HTTP/1.1\r\nHost: x\r\n"
2024-03-12 09:20:05 dovecot_login authenticator failed for (User) [203.0.113.20]:40000: 535 Incorrect authentication data (set_id=admin)
`,
	// sendmail through syslog (Costales et al., "sendmail", the log
	// chapter; FEATURE(dnsbl)'s "listed at" reply)
	"sendmail": `Mar 12 09:14:31 mx sm-mta[4321]: 2CC9EVkx004321: from=<alice@example.net>, size=2345, class=0, nrcpts=1, msgid=<abc.123@example.net>, proto=ESMTP, daemon=MTA, relay=mail.example.net [192.0.2.10]
Mar 12 09:14:32 mx sm-mta[4322]: 2CC9EVkx004321: to=<bob@example.org>, ctladdr=<alice@example.net> (1000/1000), delay=00:00:01, xdelay=00:00:00, mailer=local, pri=32345, dsn=2.0.0, stat=Sent
Mar 12 09:20:01 mx sm-mta[4400]: 2CC9K1ab004400: ruleset=check_rcpt, arg1=<bob@example.org>, relay=desk98 [198.51.100.7] (may be forged), reject=550 5.7.1 Rejected: 198.51.100.7 listed at bl.spamcop.net
Mar 12 09:20:02 mx sm-mta[4400]: 2CC9K1ab004400: lost input channel from desk98 [198.51.100.7] to MTA after rcpt
Mar 12 09:21:00 mx sm-mta[4500]: rejecting commands from [203.0.113.9] due to pre-greeting traffic after 0 seconds
`,
	// Postfix postscreen (POSTSCREEN_README) then smtpd, RFC 5424 syslog
	"postscreen": `<22>1 2024-03-12T09:14:30.101+01:00 mx postfix/postscreen 77 - - CONNECT from [192.0.2.10]:51234 to [192.0.2.1]:25
<22>1 2024-03-12T09:14:31.000+01:00 mx postfix/postscreen 77 - - PASS NEW [192.0.2.10]:51234
<22>1 2024-03-12T09:14:31.200+01:00 mx postfix/smtpd 88 - - connect from mail.example.net[192.0.2.10]
<22>1 2024-03-12T09:14:31.300+01:00 mx postfix/smtpd 88 - - 4F2A3B1C2D: client=mail.example.net[192.0.2.10]
<22>1 2024-03-12T09:14:31.400+01:00 mx postfix/cleanup 89 - - 4F2A3B1C2D: message-id=<abc.123@example.net>
<22>1 2024-03-12T09:14:31.500+01:00 mx postfix/qmgr 90 - - 4F2A3B1C2D: from=<alice@example.net>, size=2345, nrcpt=1 (queue active)
<22>1 2024-03-12T09:14:31.600+01:00 mx postfix/smtpd 88 - - disconnect from mail.example.net[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
<22>1 2024-03-12T09:14:31.700+01:00 mx postfix/local 91 - - 4F2A3B1C2D: to=<bob@example.org>, relay=local, delay=0.6, delays=0.1/0/0/0.5, dsn=2.0.0, status=sent (delivered to mailbox)
<22>1 2024-03-12T09:14:31.800+01:00 mx postfix/qmgr 90 - - 4F2A3B1C2D: removed
<22>1 2024-03-12T09:20:00.000+01:00 mx postfix/postscreen 77 - - CONNECT from [198.51.100.7]:1957 to [192.0.2.1]:25
<22>1 2024-03-12T09:20:00.100+01:00 mx postfix/postscreen 77 - - PREGREET 11 after 0.05 from [198.51.100.7]:1957: EHLO desk98\r\n
<22>1 2024-03-12T09:20:00.200+01:00 mx postfix/postscreen 77 - - DNSBL rank 3 for [198.51.100.7]:1957
<22>1 2024-03-12T09:20:01.000+01:00 mx postfix/postscreen 77 - - NOQUEUE: reject: RCPT from [198.51.100.7]:1957: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using zen.spamhaus.org; from=<spam@example.com>, to=<bob@example.org>, proto=ESMTP, helo=<desk98>
<22>1 2024-03-12T09:20:01.100+01:00 mx postfix/postscreen 77 - - DISCONNECT [198.51.100.7]:1957
`,
	// Postfix smtpd through classic syslog, two connections interleaved
	"postfix-interleaved": `Mar 12 09:14:30 mx postfix/smtpd[102]: warning: hostname spoof.example.com does not resolve to address 198.51.100.7: Name or service not known
Mar 12 09:14:30 mx postfix/smtpd[101]: connect from a.example.net[192.0.2.10]
Mar 12 09:14:30 mx postfix/smtpd[102]: connect from unknown[198.51.100.7]
Mar 12 09:14:31 mx postfix/smtpd[102]: warning: non-SMTP command from unknown[198.51.100.7]: CONNECT 192.0.2.99:25 HTTP/1.0
Mar 12 09:14:31 mx postfix/smtpd[101]: 7B79A9858E1: client=a.example.net[192.0.2.10]
Mar 12 09:14:31 mx postfix/smtpd[102]: improper command pipelining after EHLO from unknown[198.51.100.7]: MAIL FROM:<x@example.com>\r\nRCPT TO:<bob@example.org>\r\n
Mar 12 09:14:31 mx postfix/smtpd[102]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Mar 12 09:14:32 mx postfix/smtpd[102]: disconnect from unknown[198.51.100.7] ehlo=1 auth=0/1 commands=1/2
Mar 12 09:14:32 mx postfix/cleanup[103]: 7B79A9858E1: message-id=<m1@example.net>
Mar 12 09:14:32 mx postfix/smtpd[101]: disconnect from a.example.net[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Mar 12 09:14:33 mx postfix/qmgr[104]: 7B79A9858E1: from=<alice@example.net>, size=999, nrcpt=1 (queue active)
Mar 12 09:14:33 mx postfix/qmgr[104]: 7B79A9858E1: removed
Mar 12 09:14:34 mx dovecot[9]: imap-login: Login: user=<bob>
`,
	// a Postfix notice to the postmaster (notify_classes = protocol)
	"transcript": `Subject: Postfix SMTP server: errors from unknown[203.0.113.9]

Transcript of session follows.

 Out: 220 mx.example.org ESMTP Postfix
 In:  EHLO probe
 Out: 250-mx.example.org
 Out: 250 PIPELINING
 In:  AUTH LOGIN
 Out: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6
 In:  GET / HTTP/1.1
 Out: 502 5.5.2 Error: command not recognized

Session aborted, reason: lost connection

For other details, see the local mail logfile
`,
	// time stamp variants: rsyslog RFC 3339, a year after the day, Exim
	// through syslog with its own date, and December wrapping into January
	"stamps": `2024-03-12T09:14:30.123456+01:00 mx postfix/smtpd[7]: connect from a.example.net[192.0.2.10]
2024-03-12T09:14:31.000000+01:00 mx postfix/smtpd[7]: disconnect from a.example.net[192.0.2.10] commands=0/0
Mar 12 2023 09:14:30 mx postfix/smtpd[8]: connect from b.example.net[192.0.2.11]
Mar 12 2023 09:14:31 mx postfix/smtpd[8]: disconnect from b.example.net[192.0.2.11] commands=0/0
Mar 12 09:14:31 mx exim[99]: 2024-03-12 09:14:31 1rk3Ab-0003xY-Lm <= alice@example.net U=alice P=local S=100
Mar 12 09:14:32 mx exim[99]: 2024-03-12 09:14:32 1rk3Ab-0003xY-Lm Completed
Dec 31 23:59:59 mx postfix/smtpd[9]: connect from c.example.net[192.0.2.12]
Jan  1 00:00:01 mx postfix/smtpd[9]: disconnect from c.example.net[192.0.2.12] commands=0/0
`,
	// Stalker's format (hand-made session, not the seeds')
	"stalker": `10:00:00 5 SMTP-42() Stream Created
10:00:00 4 SMTP-42() Got connection from [192.0.2.10:4000]
10:00:00 4 SMTP-42([192.0.2.10]) Sending 220 mx.example.org ESMTP ready\r\n
10:00:01 4 SMTP-42([192.0.2.10]) Input Line: EHLO mail.example.net\r
10:00:01 4 SMTP-42(mail.example.net) Sending 250 mx.example.org hello\r\n
10:00:02 4 SMTP-42([192.0.2.10]) Input Line: MAIL FROM:<alice@example.net>\r
10:00:02 4 SMTP-42([192.0.2.10]) Sending 250 <alice@example.net> sender accepted\r\n
10:00:03 4 SMTP-42([192.0.2.10]) Input Line: RCPT TO:<nobody@example.org>\r
10:00:03 4 SMTP-42([192.0.2.10]) Sending 550 <nobody@example.org> unknown user\r\n
10:00:04 4 SMTP-42([192.0.2.10]) Input Line: QUIT\r
10:00:04 5 SMTP-42([192.0.2.10]) Stream Disposed
`,
}

func sessionsOf(t *testing.T, name string) ([]*Session, Stats) {
	t.Helper()
	return readAll(t, formatSamples[name], &Config{Year: 2024})
}

func TestExim(t *testing.T) {
	ss, st := sessionsOf(t, "exim")
	if st.Unknown != 0 || len(ss) != 4 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	s := ss[0]
	if s.Format != FormatExim || !s.Closed || s.Client != netip.MustParseAddr("192.0.2.10") || s.ClientPort != 51234 || s.ClientName != "mail.example.net" ||
		s.HELO != "helo.example.net" || s.MailFrom != "alice@example.net" || s.Protocol != "esmtps" || len(s.RcptTo) != 1 || s.RcptTo[0] != "bob@example.org" {
		t.Errorf("session %+v", s)
	}
	if m := s.Messages[0]; m.QueueID != "1rk3Ab-0003xY-Lm" || m.MessageID != "abc.123@example.net" || m.Size != 2345 || !m.Done || m.Status != "delivered" || m.To[0] != "bob" {
		t.Errorf("message %+v", m)
	}
	byIP := map[string]*Session{}
	for _, s := range ss[1:] {
		byIP[s.Client.String()] = s
	}
	rj := byIP["198.51.100.7"]
	if rj == nil || rj.HELO != "desk98" || rj.MailFrom != "spam@example.com" || len(rj.Rejections) != 1 || rj.Rejections[0].Blocklist != "bl.spamcop.net" ||
		rj.Rejections[0].Recipient != "bob@example.org" || !rj.HasAnomaly(AnomalyBlocklisted) || rj.Closed {
		t.Errorf("rejected %+v", rj)
	}
	if p := byIP["203.0.113.9"]; p == nil || !p.HasAnomaly(AnomalyPipelining) || !p.HasAnomaly(AnomalyHTTPOnSMTP) || !p.Closed {
		t.Errorf("probe %+v", p)
	}
	if a := byIP["203.0.113.20"]; a == nil || !a.HasAnomaly(AnomalyAuthFailed) || a.HELO != "User" {
		t.Errorf("auth %+v", a)
	}
}

func TestSendmail(t *testing.T) {
	ss, st := sessionsOf(t, "sendmail")
	if st.Unknown != 0 || len(ss) != 3 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	s := ss[0]
	if s.Format != FormatSendmail || s.Protocol != "ESMTP" || s.Client.String() != "192.0.2.10" || s.ClientName != "mail.example.net" || s.MailFrom != "alice@example.net" {
		t.Errorf("session %+v", s)
	}
	if m := s.Messages[0]; m.QueueID != "2CC9EVkx004321" || m.MessageID != "<abc.123@example.net>" || m.Size != 2345 || !m.Done || m.Status != "sent" || m.To[0] != "bob@example.org" {
		t.Errorf("message %+v", m)
	}
	rj := ss[1]
	if rj.Client.String() != "198.51.100.7" || rj.ClientName != "desk98" || !rj.Closed || len(rj.Rejections) != 1 || rj.Rejections[0].Stage != "RCPT" ||
		rj.Rejections[0].Code != "550" || rj.Rejections[0].Enhanced != "5.7.1" || rj.Rejections[0].Blocklist != "bl.spamcop.net" {
		t.Errorf("rejected %+v", rj)
	}
	if p := ss[2]; !p.HasAnomaly(AnomalyPipelining) || p.Client.String() != "203.0.113.9" {
		t.Errorf("early talker %+v", p)
	}
}

func TestPostscreenRFC5424(t *testing.T) {
	ss, st := sessionsOf(t, "postscreen")
	if st.Unknown != 0 || len(ss) != 2 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	s := ss[0]
	// the postscreen part joins the smtpd session it was handed to
	if s.ClientPort != 51234 || s.Clock != ClockZoned || s.Start.Format(time.RFC3339Nano) != "2024-03-12T09:14:30.101+01:00" || !s.Closed ||
		s.Messages[0].QueueID != "4F2A3B1C2D" || s.Messages[0].MessageID != "<abc.123@example.net>" || s.Messages[0].Status != "sent" {
		t.Errorf("session %+v", s)
	}
	b := ss[1]
	if !b.HasAnomaly(AnomalyPipelining) || !b.HasAnomaly(AnomalyBlocklisted) || b.HELO != "desk98" || len(b.Commands) != 1 || b.Commands[0].Line != "EHLO desk98" ||
		len(b.Rejections) != 1 || b.Rejections[0].Blocklist != "zen.spamhaus.org" || b.Rejections[0].Recipient != "bob@example.org" || b.MailFrom != "spam@example.com" {
		t.Errorf("blocked %+v", b)
	}
}

func TestPostfixInterleaved(t *testing.T) {
	ss, st := sessionsOf(t, "postfix-interleaved")
	if st.Unknown != 1 || st.UnknownSample[0] != "Mar 12 09:14:34 mx dovecot[9]: imap-login: Login: user=<bob>" {
		t.Errorf("unknown %d %q", st.Unknown, st.UnknownSample)
	}
	if len(ss) != 2 {
		t.Fatalf("%d sessions", len(ss))
	}
	probe, good := ss[0], ss[1]
	if len(probe.Notes) == 0 || !strings.HasPrefix(probe.Notes[0], "warning: hostname spoof.example.com") {
		t.Errorf("notes %q", probe.Notes)
	}
	if probe.Client.String() != "198.51.100.7" || !probe.HasAnomaly(AnomalyHTTPOnSMTP) || !probe.HasAnomaly(AnomalyPipelining) || !probe.HasAnomaly(AnomalyAuthFailed) {
		t.Errorf("probe %+v", probe)
	}
	if good.Client.String() != "192.0.2.10" || len(good.Messages) != 1 || good.Messages[0].MessageID != "<m1@example.net>" || good.Messages[0].Size != 999 || len(good.Anomalies) != 0 {
		t.Errorf("good %+v", good)
	}
	if good.Start.Year() != 2024 || good.Clock != ClockNoYear {
		t.Errorf("time %v %v", good.Start, good.Clock)
	}
}

func TestStalkerHandMade(t *testing.T) {
	ss, st := readAll(t, formatSamples["stalker"], &Config{Date: time.Date(1999, 4, 28, 0, 0, 0, 0, time.UTC)})
	if st.Unknown != 0 || len(ss) != 1 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	s := ss[0]
	if s.Server != "mx.example.org" || s.HELO != "mail.example.net" || s.Verified != VerifyUnknown || s.ClientPort != 4000 || s.Start.Format(time.DateTime) != "1999-04-28 10:00:00" {
		t.Errorf("session %+v", s)
	}
	if len(s.Rejections) != 1 || s.Rejections[0].Stage != "RCPT" || s.Rejections[0].Recipient != "nobody@example.org" || s.Rejections[0].Code != "550" {
		t.Errorf("rejections %+v", s.Rejections)
	}
}

func TestLiveCapture(t *testing.T) {
	b, err := os.ReadFile("testdata/postfix-3.7-live.log")
	if err != nil {
		t.Fatal(err)
	}
	ss, st := readAll(t, string(b), &Config{Year: 2026})
	// the test's dial to see the port open, the bot, the message, the
	// HTTP probe, the refused HELO
	if st.Unknown != 0 || len(ss) != 5 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	var good, bot *Session
	for _, s := range ss {
		if len(s.Messages) == 1 {
			good = s
		}
		if s.HasAnomaly(AnomalyPipelining) {
			bot = s
		}
	}
	if good == nil || good.Messages[0].MessageID != "<live-1@example.net>" || good.Messages[0].Status != "sent" || good.Rejections[0].Blocklist != "bl.spamtrace.test" ||
		good.ClientPort == 0 || !strings.Contains(good.ID, "postscreen") {
		t.Fatalf("session %+v", good)
	}
	if bot == nil || bot.HELO != "fast.example.com" || bot.Protocol != "ESMTP" || len(bot.Rejections) != 1 || bot.Rejections[0].Reply != "550 5.5.1 Protocol error" || bot.Commands[0].Line != "EHLO fast.example.com" {
		t.Fatalf("bot %+v", bot)
	}
}

func TestTimeoutBoundsMemory(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		// connections whose end is never logged, a minute apart
		b.WriteString(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format("Jan _2 15:04:05"))
		b.WriteString(" mx postfix/smtpd[" + strings.Repeat("1", 1+i%5) + "0" + string(rune('0'+i%10)) + "]: connect from unknown[192.0.2.1]\n")
	}
	r := NewReader(strings.NewReader(b.String()), &Config{Year: 2024, Timeout: 10 * time.Minute})
	most := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		most = max(most, len(r.live))
	}
	if most > 60 {
		t.Errorf("%d sessions held at once", most)
	}
}

func TestTranscriptNotice(t *testing.T) {
	ss, st := sessionsOf(t, "transcript")
	if st.Unknown != 0 {
		t.Errorf("unknown %q", st.UnknownSample)
	}
	if len(ss) != 1 {
		t.Fatalf("%d sessions", len(ss))
	}
	s := ss[0]
	if s.Client.String() != "203.0.113.9" || s.ClientName != "unknown" || s.HELO != "probe" || s.Server != "mx.example.org" || !s.Closed {
		t.Errorf("session %+v", s)
	}
	if !s.HasAnomaly(AnomalyAuthFailed) || !s.HasAnomaly(AnomalyHTTPOnSMTP) || len(s.Commands) != 3 || s.Commands[0].Reply != "250-mx.example.org\n250 PIPELINING" {
		t.Errorf("dialogue %+v %v", s.Commands, s.Anomalies)
	}
	if len(s.Rejections) != 1 || s.Rejections[0].Stage != "AUTH" || s.Rejections[0].Enhanced != "5.7.8" {
		t.Errorf("rejections %+v", s.Rejections)
	}
	if len(s.Notes) != 1 || s.Notes[0] != "Session aborted, reason: lost connection" {
		t.Errorf("notes %q", s.Notes)
	}
}

func TestStamps(t *testing.T) {
	ss, st := readAll(t, formatSamples["stamps"], &Config{Year: 2024})
	if st.Unknown != 0 || len(ss) != 4 {
		t.Fatalf("%d sessions, unknown %q", len(ss), st.UnknownSample)
	}
	want := []struct {
		start string
		clock Clock
	}{
		{"2024-03-12T09:14:30.123456+01:00", ClockZoned},
		{"2023-03-12T09:14:30Z", ClockLocal}, // the year written after the day
		{"2024-03-12T09:14:31Z", ClockLocal},
		{"2024-12-31T23:59:59Z", ClockNoYear},
	}
	for i, w := range want {
		if got := ss[i].Start.Format(time.RFC3339Nano); got != w.start || ss[i].Clock != w.clock {
			t.Errorf("session %d: %s %v, want %s %v", i, got, ss[i].Clock, w.start, w.clock)
		}
	}
	if e := ss[3].End.Format(time.RFC3339); e != "2025-01-01T00:00:01Z" {
		t.Errorf("year wrap: end %s", e)
	}
	if ss[2].Format != FormatExim || ss[2].Messages[0].Status != "completed" || ss[2].MailFrom != "alice@example.net" {
		t.Errorf("exim %+v", ss[2])
	}
}

func TestCapsHold(t *testing.T) {
	var b strings.Builder
	b.WriteString("Mar 12 09:00:00 mx postfix/smtpd[1]: connect from a.example.net[192.0.2.10]\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Mar 12 09:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from a.example.net[192.0.2.10]: 550 5.1.1 no; from=<a@example.net> to=<u%d@example.org> proto=ESMTP helo=<a>\n", i)
		fmt.Fprintf(&b, "Mar 12 09:00:01 mx postfix/smtpd[1]: %X: client=a.example.net[192.0.2.10]\n", 0x100000+i)
	}
	ss, _ := readAll(t, b.String(), &Config{Year: 2024, MaxLines: 16})
	if len(ss) != 1 {
		t.Fatalf("%d sessions", len(ss))
	}
	s := ss[0]
	if len(s.RcptTo) != 16 || len(s.Messages) != 16 || len(s.Rejections) != 16 || len(s.qids) != 0 || s.Dropped < 3*(5000-16) {
		t.Errorf("rcpt %d messages %d rejections %d dropped %d", len(s.RcptTo), len(s.Messages), len(s.Rejections), s.Dropped)
	}
}
