package smtplog

import (
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The seeds (shared/seeds beside the repository, see its README) are
// public pages kept as reference, not committed: the tests read them where
// they are (SPAMTRACE_SEEDS overrides the directory). They skip when the
// seeds are absent, except under CI, whose checkout has shared/ beside it.
func seedFile(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("SPAMTRACE_SEEDS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "seeds")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("seed not available under CI: %v", err)
		}
		t.Skipf("seed not available: %v", err)
	}
	return string(b)
}

func readAll(t *testing.T, text string, c *Config) ([]*Session, Stats) {
	t.Helper()
	r := NewReader(strings.NewReader(text), c)
	var out []*Session
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out, r.Stats()
}

// stalkerLines returns the log lines of the seed page from the first
// "Stream Created" of line num to its "Stream Disposed", with the
// untimed continuation lines the page keeps between them.
func stalkerLines(page, num string) string {
	start := strings.Index(page, " SMTP-"+num+"() Stream Created")
	start = strings.LastIndexByte(page[:start], '\n') + 1
	endMark := "SMTP-" + num + "("
	rest := page[start:]
	var out []string
	for _, l := range strings.Split(rest, "\n") {
		out = append(out, l)
		if strings.Contains(l, endMark) && strings.Contains(l, "Stream Disposed") {
			break
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func TestSeedStalkerSessions(t *testing.T) {
	page := seedFile(t, "001_a78e0ae98e8cd220.txt")
	cases := []struct {
		num                 string
		client              string
		port                uint16
		helo, from, rcpt    string
		qid, msgid, msgFrom string
		size                int64
		start, end          string
	}{
		{"509", "209.162.104.65", 1957, "desk98", "emailplus@321media.com", "recipes@hypertouch.com",
			"S.0000014724", "<419.436278.39703056emailplus@321media.com>", "emailplus@321media.com", 1199, "21:30:41", "21:30:51"},
		{"750", "36.37.0.13", 39891, "Made-Up-Name-desk98", "Made-Up-Name-emailplus@321media.com", "recipes@hypertouch.com",
			"S.0000014938", "<419.436278.39703056-Made-Up-Number-emailplus@321media.com>", "Made-Up-Name-emailplus@321media.com", 1285, "02:35:56", "02:38:38"},
	}
	for _, c := range cases {
		t.Run(c.num, func(t *testing.T) {
			ss, st := readAll(t, stalkerLines(page, c.num), nil)
			if len(ss) != 1 {
				t.Fatalf("got %d sessions, want 1", len(ss))
			}
			if st.Unknown != 0 {
				t.Errorf("unknown lines: %d %q", st.Unknown, st.UnknownSample)
			}
			s := ss[0]
			checkStalker(t, s, c.client, c.port, c.helo, c.from, c.rcpt, c.qid, c.msgid, c.msgFrom, c.size)
			if got := s.Start.Format("15:04:05"); got != c.start {
				t.Errorf("start %s, want %s", got, c.start)
			}
			if got := s.End.Format("15:04:05"); got != c.end {
				t.Errorf("end %s, want %s", got, c.end)
			}
		})
	}
}

func checkStalker(t *testing.T, s *Session, client string, port uint16, helo, from, rcpt, qid, msgid, msgFrom string, size int64) {
	t.Helper()
	if s.Format != FormatStalker || s.Server != "209.31.44.214" || !s.Closed {
		t.Errorf("format %v server %q closed %v", s.Format, s.Server, s.Closed)
	}
	if s.Client != netip.MustParseAddr(client) || s.ClientPort != port {
		t.Errorf("client %v:%d, want %s:%d", s.Client, s.ClientPort, client, port)
	}
	if s.HELO != helo || s.Verified != VerifyFail {
		t.Errorf("helo %q verified %v, want %q fail", s.HELO, s.Verified, helo)
	}
	if s.MailFrom != from {
		t.Errorf("mail from %q, want %q", s.MailFrom, from)
	}
	if len(s.RcptTo) != 1 || s.RcptTo[0] != rcpt {
		t.Errorf("rcpt %q, want %q", s.RcptTo, rcpt)
	}
	if len(s.Messages) != 1 {
		t.Fatalf("messages %+v", s.Messages)
	}
	m := s.Messages[0]
	if m.QueueID != qid || m.MessageID != msgid || m.Size != size || m.From != msgFrom || !m.Done || m.Status != "delivered" || len(m.To) != 1 || m.To[0] != "joepublic" {
		t.Errorf("message %+v", m)
	}
	if len(s.Anomalies) != 1 || s.Anomalies[0] != AnomalyHELOUnverified {
		t.Errorf("anomalies %v", s.Anomalies)
	}
	if len(s.Rejections) != 0 {
		t.Errorf("rejections %+v", s.Rejections)
	}
	verbs := []string{"HELO", "MAIL", "RCPT", "DATA", "QUIT"}
	if len(s.Commands) != len(verbs) {
		t.Fatalf("commands %+v", s.Commands)
	}
	for i, v := range verbs {
		if s.Commands[i].Verb != v {
			t.Errorf("command %d verb %q, want %q", i, s.Commands[i].Verb, v)
		}
	}
	if got := s.Commands[3].Reply; got != "354 Enter mail, end with \".\" on a line by itself\n250 "+qid+" message accepted for delivery" {
		t.Errorf("DATA reply %q", got)
	}
	if !strings.HasPrefix(s.Banner, "220-Stalker Internet Mail Server V.1.8b3 is ready.\n220 ESMTP is spoken here.") {
		t.Errorf("banner %q", s.Banner)
	}
}

func TestSeedPostfixProbe(t *testing.T) {
	page := seedFile(t, "002_183995586ac45b18.txt")
	var text string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, "Out: 220 ") {
			text = l + "\n"
		}
	}
	if text == "" {
		t.Fatal("no transcript in the seed")
	}
	ss, st := readAll(t, text, nil)
	if len(ss) != 1 || st.Unknown != 0 {
		t.Fatalf("sessions %d unknown %d", len(ss), st.Unknown)
	}
	s := ss[0]
	if s.Format != FormatTranscript || s.Server != "mx.yang.id.au" || s.Banner != "220 mx.yang.id.au ESMTP Postfix" {
		t.Errorf("format %v server %q banner %q", s.Format, s.Server, s.Banner)
	}
	// the page replaced the client's address with a description
	if s.Client.IsValid() {
		t.Errorf("client %v", s.Client)
	}
	if s.HELO != "yahoo.de" || s.Verified != VerifyUnknown {
		t.Errorf("helo %q %v", s.HELO, s.Verified)
	}
	if s.MailFrom != "Spammer's fake Hotmail address" {
		t.Errorf("mail from %q", s.MailFrom)
	}
	// the page lost the RCPT address with its angle brackets
	if len(s.RcptTo) != 1 || s.RcptTo[0] != "" {
		t.Errorf("rcpt %q", s.RcptTo)
	}
	if len(s.Commands) != 14 || s.Commands[0].Line != "POST / HTTP/1.0" || s.Commands[0].Reply != "502 Error: command not implemented" {
		t.Errorf("commands %d %+v", len(s.Commands), s.Commands[0])
	}
	if c := s.Commands[6]; c.Line != "" || c.Reply != "500 Error: bad syntax" {
		t.Errorf("empty line command %+v", c)
	}
	want := []Anomaly{AnomalyHTTPOnSMTP, AnomalyBlocklisted}
	if len(s.Anomalies) != 2 || s.Anomalies[0] != want[0] || s.Anomalies[1] != want[1] {
		t.Errorf("anomalies %v", s.Anomalies)
	}
	if len(s.Rejections) != 2 {
		t.Fatalf("rejections %+v", s.Rejections)
	}
	rj := s.Rejections[0]
	if rj.Stage != "RCPT" || rj.Code != "554" || rj.Blocklist != "bl.spamcop.net" ||
		rj.Reply != "554 Service unavailable; [Spammer's real IP] blocked using bl.spamcop.net, reason: Blocked - see http://www.spamcop.net/bl.shtml?Spammer's real IP" {
		t.Errorf("rejection %+v", rj)
	}
	if rj := s.Rejections[1]; rj.Stage != "DATA" || rj.Code != "554" || rj.Reply != "554 Error: no valid recipients" {
		t.Errorf("rejection %+v", rj)
	}
	if last := s.Commands[len(s.Commands)-1]; last.Reply != "221 Error: I can break rules, too. Goodbye." {
		t.Errorf("last %+v", last)
	}
}
