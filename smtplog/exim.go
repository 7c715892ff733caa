package smtplog

import (
	"net/netip"
	"strconv"
	"strings"
)

// Exim writes its mainlog itself ("2024-03-12 09:14:31 1rk3Ab-0003xY-Lm <=
// alice@example.net H=mail.example.net (helo) [192.0.2.1]:51234 P=esmtps
// S=1234 id=abc@example.net") or through syslog. A message line starts
// with the Exim message id and a flag: "<=" arrival, "=>" delivery, "->"
// another address of the same delivery, "**" failure, "==" deferral, then
// "Completed". Connection events (rejections, protocol errors, and with
// log_selector +smtp_connection the start and end) name the client by
// "H=name (helo) [ip]:port"; the port only with +incoming_port. The
// receiving process is not named (the pid only with +pid, and the daemon
// logs the connection's start under its own), so lines are grouped by
// client address: two connections from one address at the same time are
// read as one session. A HELO equal to the host name is not repeated in
// parentheses; it is read as that name.

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// eximIDOf splits "1rk3Ab-0003xY-Lm rest" (and 4.97's longer ids).
func eximIDOf(s string) (string, string, bool) {
	i := 0
	run := func(lo, hi int) bool {
		n := 0
		for i < len(s) && isAlnum(s[i]) && n < hi {
			i++
			n++
		}
		return n >= lo
	}
	if !run(6, 6) || i >= len(s) || s[i] != '-' {
		return "", "", false
	}
	i++
	if !run(6, 11) || i >= len(s) || s[i] != '-' {
		return "", "", false
	}
	i++
	if !run(2, 4) || i >= len(s) || s[i] != ' ' {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// eximHost reads "name (helo) [ip]:port rest" after "H=".
func eximHost(s string) (name, helo string, c clientInfo, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	if s != "" && s[0] != '(' && s[0] != '[' {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return "", "", c, s, false
		}
		name, s = s[:sp], s[sp+1:]
	}
	if strings.HasPrefix(s, "(") {
		e := strings.IndexByte(s, ')')
		if e < 0 {
			return "", "", c, s, false
		}
		helo, s = s[1:e], strings.TrimLeft(s[e+1:], " ")
	} else {
		helo = name
	}
	if !strings.HasPrefix(s, "[") {
		return "", "", c, s, false
	}
	_, c.ip, c.port, rest, ok = clientOf(s)
	return name, helo, c, rest, ok
}

func (r *Reader) exim(ln *logLine) *Session {
	if id, rest, ok := eximIDOf(ln.msg); ok {
		return r.eximMessage(ln, id, rest)
	}
	return r.eximConn(ln, ln.msg)
}

// eximSession finds or starts the session of the client named at H= in s.
func (r *Reader) eximSession(ln *logLine, s string, start bool) *Session {
	h := strings.Index(s, "H=")
	for h > 0 && s[h-1] != ' ' {
		j := strings.Index(s[h+2:], "H=")
		if j < 0 {
			h = -1
			break
		}
		h += 2 + j
	}
	var (
		name, helo string
		c          clientInfo
		ok         bool
	)
	if h >= 0 {
		name, helo, c, _, ok = eximHost(s[h+2:])
	} else if f := strings.Index(s, " from "); f >= 0 {
		name, helo, c, _, ok = eximHost(s[f+len(" from "):])
		name = ""
	}
	if !ok {
		return nil
	}
	k := key{ln.host, "exim", c.ip.String()}
	sess := r.open[k]
	if sess == nil || start {
		sess = r.newSession(k, FormatExim, ln.t, ln.clock)
		sess.ID = "exim [" + c.ip.String() + "]"
		sess.soft = !start
	}
	setClient(sess, name, c.ip, c.port)
	// the line that opens the connection comes before any HELO
	if sess.HELO == "" && helo != "" && !start {
		sess.HELO = helo
	}
	return sess
}

func (r *Reader) eximConn(ln *logLine, msg string) *Session {
	switch {
	case strings.HasPrefix(msg, "SMTP connection from "):
		end := strings.Contains(msg, " closed by ") || strings.Contains(msg, " lost") || strings.Contains(msg, " dropped") || strings.Contains(msg, "timed out")
		sess := r.eximSession(ln, "H="+msg[len("SMTP connection from "):], !end)
		if sess == nil {
			return nil
		}
		if end {
			r.note(sess, msg)
			r.closeConn(sess)
		}
		return sess
	case strings.HasPrefix(msg, "SMTP protocol synchronization error"):
		sess := r.eximSession(ln, msg, false)
		if sess == nil {
			return nil
		}
		sess.addAnomaly(AnomalyPipelining)
		if i := strings.Index(msg, "input=\""); i >= 0 {
			in := strings.TrimSuffix(msg[i+len("input=\""):], "\"")
			if j := strings.Index(in, `\r\n`); j >= 0 {
				in = in[:j]
			}
			r.command(sess, in, ln.t)
		}
		r.note(sess, msg)
		if strings.Contains(msg, "rejected connection") {
			r.closeConn(sess)
		}
		return sess
	case strings.HasPrefix(msg, "SMTP syntax error in \""):
		sess := r.eximSession(ln, msg, false)
		if sess == nil {
			return nil
		}
		in := msg[len("SMTP syntax error in \""):]
		if j := strings.Index(in, "\" H="); j >= 0 {
			in = in[:j]
		}
		r.command(sess, in, ln.t)
		return sess
	case strings.Contains(msg, "authenticator failed for "):
		sess := r.eximSession(ln, "H="+msg[strings.Index(msg, "authenticator failed for ")+len("authenticator failed for "):], false)
		if sess == nil {
			return nil
		}
		sess.addAnomaly(AnomalyAuthFailed)
		r.note(sess, msg)
		return sess
	case strings.HasPrefix(msg, "SMTP call from "):
		sess := r.eximSession(ln, "H="+msg[len("SMTP call from "):], false)
		if sess == nil {
			return nil
		}
		r.note(sess, msg)
		if strings.Contains(msg, "dropped") {
			r.closeConn(sess)
		}
		return sess
	case strings.HasPrefix(msg, "H="):
		sess := r.eximSession(ln, msg, false)
		if sess == nil {
			return nil
		}
		if from, ok := angle(msg, " F=<"); ok && sess.MailFrom == "" {
			sess.MailFrom = from
		}
		if i := strings.Index(msg, " rejected "); i >= 0 {
			r.eximReject(sess, ln, msg[i+len(" rejected "):], strings.HasSuffix(msg[:i], " temporarily"))
		} else {
			r.checkBareLF(sess, msg)
			r.note(sess, msg)
		}
		return sess
	case strings.HasPrefix(msg, "TLS error on connection from "):
		sess := r.eximSession(ln, "H="+msg[len("TLS error on connection from "):], false)
		if sess != nil {
			r.note(sess, msg)
		}
		return sess
	}
	ln.server = true
	return nil
}

// eximReject reads what follows "rejected ": "RCPT <b>: reason", "MAIL
// <a>: reason", "EHLO or HELO x: reason", "after DATA: reason",
// "connection: reason".
func (r *Reader) eximReject(sess *Session, ln *logLine, s string, temporary bool) {
	rj := Rejection{Time: ln.t}
	reason := s
	if i := strings.Index(s, ": "); i >= 0 {
		reason = s[i+2:]
	}
	switch {
	case strings.HasPrefix(s, "RCPT "):
		rj.Stage = "RCPT"
		rj.Recipient = pathArg(s[len("RCPT "):])
		sess.addRcpt(rj.Recipient)
	case strings.HasPrefix(s, "MAIL "):
		rj.Stage = "MAIL"
	case strings.HasPrefix(s, "EHLO or HELO ") || strings.HasPrefix(s, "HELO") || strings.HasPrefix(s, "EHLO"):
		rj.Stage = "HELO"
		if containsFold(reason, "verif") || containsFold(reason, "host not found") {
			sess.Verified = VerifyFail
			sess.addAnomaly(AnomalyHELOUnverified)
		}
	case strings.HasPrefix(s, "after DATA"):
		rj.Stage = "DATA"
	case strings.HasPrefix(s, "connection"):
		rj.Stage = "CONNECT"
	case strings.HasPrefix(s, "AUTH"):
		rj.Stage = "AUTH"
	}
	rj.Reply = reason
	rj.Code, rj.Enhanced = replyCode(reason)
	if rj.Code == "" {
		rj.Code = "550"
		if temporary {
			rj.Code = "451"
		}
	}
	rj.Blocklist = blocklistOf(reason)
	r.addRejection(sess, rj)
}

func (r *Reader) eximMessage(ln *logLine, id, rest string) *Session {
	flag := rest
	if sp := strings.IndexByte(flag, ' '); sp >= 0 {
		flag = flag[:sp]
	}
	if flag == "<=" {
		return r.eximArrival(ln, id, strings.TrimPrefix(rest[2:], " "))
	}
	sess := r.byQID[qkey{ln.host, id}]
	if sess == nil {
		sess = r.orphan(ln.host, id, FormatExim, ln.t, ln.clock)
	}
	m := sess.message(id)
	arg := strings.TrimPrefix(rest[len(flag):], " ")
	addr := arg
	if sp := strings.IndexByte(addr, ' '); sp >= 0 {
		addr = addr[:sp]
	}
	addr = strings.Trim(addr, "<>:")
	switch flag {
	case "=>", "->", "*>":
		m.addTo(addr)
		m.Status = "delivered"
	case "**":
		m.addTo(addr)
		m.Status = "bounced"
	case "==":
		m.addTo(addr)
		m.Status = "deferred"
	case "Completed":
		m.Done = true
		if m.Status == "" {
			m.Status = "completed"
		}
	default:
		r.note(sess, rest)
	}
	return sess
}

// eximArrival reads "<= sender H=… P=esmtp S=1234 id=… for a b".
func (r *Reader) eximArrival(ln *logLine, id, s string) *Session {
	sender := s
	if sp := strings.IndexByte(sender, ' '); sp >= 0 {
		sender = sender[:sp]
	}
	var sess *Session
	if strings.Contains(s, " H=") {
		sess = r.eximSession(ln, s, false)
	}
	if sess == nil {
		sess = r.orphan(ln.host, id, FormatExim, ln.t, ln.clock)
	}
	m := r.bindQID(sess, ln.host, id)
	if sender != "<>" {
		m.From = sender
	}
	if sess.MailFrom == "" && sender != "<>" {
		sess.MailFrom = sender
	}
	if v, ok := field(s, "S="); ok {
		m.Size, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := field(s, "P="); ok && sess.Protocol == "" {
		sess.Protocol = v
	}
	if v, ok := field(s, "id="); ok {
		m.MessageID = v
	}
	if i := strings.LastIndex(s, " for "); i >= 0 && !strings.Contains(s[i:], "=") {
		for _, a := range strings.Fields(s[i+len(" for "):]) {
			sess.addRcpt(a)
		}
	}
	return sess
}

type clientInfo struct {
	ip   netip.Addr
	port uint16
}
