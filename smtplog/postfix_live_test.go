package smtplog

import (
	"bufio"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spamtrace/spamtrace/received"
)

// livePostfix runs a private Postfix instance (Debian's package; its own
// config and queue directories, logging to a file through postlogd) on a
// loopback port. It skips when Postfix is not installed or the test is
// not root (master(8) must start as root), except under CI=true, where
// it fails.
type livePostfix struct {
	dir, log, vmail string
	addr            string
	cmd             *exec.Cmd
}

func startPostfix(t *testing.T) *livePostfix {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") == "true" {
		skip = t.Fatalf
	}
	master := "/usr/lib/postfix/sbin/master"
	if _, err := os.Stat(master); err != nil {
		skip("postfix not installed: %v", err)
	}
	if os.Geteuid() != 0 {
		skip("postfix's master must start as root")
	}
	pu, err := user.Lookup("postfix")
	if err != nil {
		skip("no postfix user: %v", err)
	}
	base, err := os.MkdirTemp("", "smtplog-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	p := &livePostfix{dir: base, log: filepath.Join(base, "maillog"), vmail: filepath.Join(base, "vmail")}
	for _, d := range []string{"etc", "data", "vmail", "queue"} {
		os.MkdirAll(filepath.Join(base, d), 0o755)
	}
	q := filepath.Join(base, "queue")
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace", "maildrop", "public", "pid"} {
		os.MkdirAll(filepath.Join(q, d), 0o700)
	}
	chown := func(path, owner, group string) {
		if out, err := exec.Command("chown", owner+":"+group, path).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v %s", path, err, out)
		}
	}
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		chown(filepath.Join(q, d), "postfix", "root")
	}
	chown(filepath.Join(q, "maildrop"), "postfix", "postdrop")
	chown(filepath.Join(q, "public"), "postfix", "postdrop")
	os.Chmod(filepath.Join(q, "maildrop"), 0o730)
	os.Chmod(filepath.Join(q, "public"), 0o710)
	chown(filepath.Join(base, "data"), "postfix", "root")
	chown(p.vmail, "postfix", "postfix")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ln.Close()
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.spamtrace.test
mydomain = spamtrace.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
smtpd_banner = $myhostname ESMTP Postfix
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_recipient_restrictions = check_recipient_access inline:{ {blocked@spamtrace.test = REJECT Service unavailable; Client host [127.0.0.1] blocked using bl.spamtrace.test} }, permit_mynetworks, reject
virtual_mailbox_domains = spamtrace.test
virtual_mailbox_base = %[1]s/vmail
virtual_mailbox_maps = inline:{ {bob@spamtrace.test = bob/} {blocked@spamtrace.test = blocked/} }
virtual_uid_maps = static:%[2]s
virtual_gid_maps = static:%[3]s
alias_maps =
alias_database =
biff = no
postscreen_access_list =
postscreen_greet_action = enforce
postscreen_greet_wait = 1s
postscreen_dnsbl_sites =
`, base, pu.Uid, pu.Gid)
	masterCF := fmt.Sprintf(`%s inet n - n - 1 postscreen
smtpd     pass  -       -       n       -       -       smtpd
dnsblog   unix  -       -       n       -       0       dnsblog
tlsproxy  unix  -       -       n       -       0       tlsproxy
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, p.addr)
	os.WriteFile(filepath.Join(base, "etc", "main.cf"), []byte(mainCF), 0o644)
	os.WriteFile(filepath.Join(base, "etc", "master.cf"), []byte(masterCF), 0o644)
	p.cmd = exec.Command(master, "-c", filepath.Join(base, "etc"), "-d")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := os.Create(filepath.Join(base, "master.out"))
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		out.Close()
	})
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			b, _ := os.ReadFile(filepath.Join(base, "master.out"))
			l, _ := os.ReadFile(p.log)
			t.Fatalf("postfix did not start: %v\n%s\n%s", err, b, l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p
}

// waitLog waits until the log holds want (postlogd writes asynchronously).
func (p *livePostfix) waitLog(t *testing.T, want ...string) string {
	t.Helper()
	for i := 0; ; i++ {
		b, _ := os.ReadFile(p.log)
		ok := true
		for _, w := range want {
			if strings.Count(string(b), w) == 0 {
				ok = false
			}
		}
		if ok {
			return string(b)
		}
		if i > 150 {
			t.Fatalf("log lacks %q:\n%s", want, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// raw speaks to the server line by line, as a misbehaving client would.
func raw(t *testing.T, addr string, lines ...string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewReader(bufio.NewReader(c))
	tp.ReadResponse(220)
	for _, l := range lines {
		fmt.Fprintf(c, "%s\r\n", l)
		if _, _, err := tp.ReadResponse(0); err != nil {
			if _, ok := err.(*textproto.Error); !ok {
				return
			}
		}
	}
}

// pregreet talks before the server's greeting, as spambots do.
// postscreen then answers that EHLO at once, after the first line of its
// greeting, so replies are read as lines up to the one that ends each.
func pregreet(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	reply := func() {
		for {
			l, err := br.ReadString('\n')
			if err != nil || len(l) > 3 && l[3] == ' ' {
				return
			}
		}
	}
	fmt.Fprintf(c, "EHLO fast.example.com\r\n")
	reply()
	for _, l := range []string{"EHLO fast.example.com", "MAIL FROM:<bot@example.com>", "RCPT TO:<bob@spamtrace.test>", "QUIT"} {
		fmt.Fprintf(c, "%s\r\n", l)
		reply()
	}
}

func TestLivePostfix(t *testing.T) {
	p := startPostfix(t)
	// first, as postscreen tests a client until it passes once
	pregreet(t, p.addr)
	// a good message, with one refused recipient
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("blocked@spamtrace.test"); err == nil {
		t.Fatal("blocked recipient accepted")
	}
	if err := c.Rcpt("bob@spamtrace.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "Message-ID: <live-1@example.net>\r\nFrom: alice@example.net\r\nSubject: live\r\n\r\nhello\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	// an open-proxy probe, then a HELO the server refuses
	raw(t, p.addr, "POST / HTTP/1.0", "Host: mx.spamtrace.test", "")
	raw(t, p.addr, "HELO desk98", "MAIL FROM:<x@example.com>", "RCPT TO:<bob@spamtrace.test>", "QUIT")

	log := p.waitLog(t, "removed", "non-SMTP command", "Helo command rejected", "PREGREET")
	log = p.waitLog(t, strings.Repeat("disconnect from", 1))
	for strings.Count(log, "disconnect from") < 3 {
		time.Sleep(100 * time.Millisecond)
		log = p.waitLog(t, "disconnect from")
	}
	t.Logf("Postfix log:\n%s", log)
	if dst := os.Getenv("SMTPLOG_CAPTURE"); dst != "" {
		os.WriteFile(dst, []byte(log), 0o644)
	}
	ss, st := readAll(t, log, &Config{Year: time.Now().Year()})
	if st.Unknown != 0 {
		t.Errorf("%d lines not understood: %q", st.Unknown, st.UnknownSample)
	}
	var good, probe, helo, bot *Session
	for _, s := range ss {
		switch {
		case s.HasAnomaly(AnomalyPipelining):
			bot = s
		case len(s.Messages) > 0:
			good = s
		case s.HasAnomaly(AnomalyHTTPOnSMTP):
			probe = s
		case s.HELO == "desk98":
			helo = s
		}
	}
	if good == nil || probe == nil || helo == nil || bot == nil {
		t.Fatalf("sessions missing: %d sessions", len(ss))
	}
	if good.Server != "mx" || good.Client.String() != "127.0.0.1" || good.ClientName != "localhost" || !good.Closed || good.MailFrom != "alice@example.net" {
		t.Errorf("session %+v", good)
	}
	m := good.Messages[0]
	if m.MessageID != "<live-1@example.net>" || m.From != "alice@example.net" || len(m.To) != 1 || m.To[0] != "bob@spamtrace.test" || m.Size == 0 || m.Status != "sent" || !m.Done {
		t.Errorf("message %+v", m)
	}
	if len(good.Rejections) != 1 || good.Rejections[0].Blocklist != "bl.spamtrace.test" || good.Rejections[0].Code != "554" || good.Rejections[0].Recipient != "blocked@spamtrace.test" || good.HELO != "client.example.net" {
		t.Errorf("rejections %+v helo %q", good.Rejections, good.HELO)
	}
	// postscreen's session of the bot: it talked first and was refused
	if bot.HELO != "fast.example.com" || len(bot.Commands) == 0 || bot.Commands[0].Line != "EHLO fast.example.com" || bot.ClientPort == 0 ||
		len(bot.Rejections) != 1 || bot.Rejections[0].Code != "550" || bot.MailFrom != "bot@example.com" || !bot.Closed {
		t.Errorf("bot %+v", bot)
	}
	// the good client's postscreen part joined its smtpd session
	if good.ClientPort == 0 || !strings.Contains(good.ID, "postscreen") {
		t.Errorf("handoff: port %d id %q", good.ClientPort, good.ID)
	}
	if len(probe.Commands) == 0 || probe.Commands[0].Line != "POST / HTTP/1.0" {
		t.Errorf("probe commands %+v", probe.Commands)
	}
	// a name that is not fully qualified is refused by policy, not
	// because it failed to verify
	if helo.Verified != VerifyUnknown || len(helo.Rejections) != 1 || helo.Rejections[0].Stage != "RCPT" || helo.Rejections[0].Code != "504" ||
		!strings.Contains(helo.Rejections[0].Reply, "Helo command rejected") || helo.MailFrom != "x@example.com" {
		t.Errorf("helo session %+v", helo)
	}

	// the delivered message carries the Received header this server wrote
	var hdr string
	filepath.Walk(p.vmail, func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(path)
			hdr = string(b)
		}
		return nil
	})
	msg, err := received.ReadMessage(strings.NewReader(hdr), nil)
	if err != nil || len(msg.Hops) == 0 {
		t.Fatalf("delivered message: %v %q", err, hdr)
	}
	hops := msg.Hops
	x := NewIndex(ss)
	vs := Correlate(hops, x)
	if len(vs) != 1 || vs[0].Session == nil || vs[0].Session.ID != good.ID || vs[0].Session.Start != good.Start || vs[0].By != "queue-id" || vs[0].Contradicts() {
		t.Fatalf("verdicts %+v for %q", vs, hops[0].Raw)
	}
	// the same header with another client address is contradicted
	forged := hops[0]
	forged.From.IP = forged.From.IP.Next()
	if vs := Correlate([]received.Hop{forged}, x); len(vs) != 1 || !vs[0].Contradicts() {
		t.Errorf("forged hop: %+v", vs)
	}
}
