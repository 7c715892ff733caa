package smtplog

import (
	"strconv"
	"strings"
)

// Postfix logs one line per event through syslog (or postlogd's
// maillog_file), tagged "postfix/DAEMON[pid]" (a multi-instance setup may
// write "postfix-out/smtpd", a service name "postfix/submission/smtpd").
// An smtpd process serves one connection at a time, so its pid names the
// session from "connect from" to "disconnect from"; postscreen serves many
// at once and names each by the client's [address]:port. The queue id the
// smtpd line "QUEUEID: client=…" gives ties the session to the lines of
// cleanup (message-id), qmgr (from, size, removed) and the delivery agents
// (to, relay, status), which may come after the client has gone.

// postfixServer lists the messages about the server itself.
var postfixServer = []string{"daemon started", "terminating on signal", "reload", "statistics:", "starting the Postfix mail system", "stopping the Postfix mail system", "refreshing the Postfix mail system", "fatal:", "panic:", "warning: database ", "warning: dict_", "connect to subsystem", "master exited", "mail system is running", "Postfix is running", "table ", "backwards-compatible default setting"}

// postfixNotes lists informational smtpd messages kept as notes.
var postfixNotes = []string{"Anonymous TLS connection", "Trusted TLS connection", "Untrusted TLS connection", "Verified TLS connection", "lost connection after", "timeout after", "too many errors after", "SSL_accept error", "warning: TLS library problem", "warning: hostname ", "warning: Illegal address syntax", "warning: numeric hostname", "warning: connect to ", "warning: "}

func (r *Reader) postfix(ln *logLine) *Session {
	daemon := ln.prog
	if i := strings.LastIndexByte(daemon, '/'); i >= 0 {
		daemon = daemon[i+1:]
	}
	msg := ln.msg
	switch daemon {
	case "smtpd":
		return r.postfixSMTPD(ln, msg)
	case "postscreen":
		return r.postscreen(ln, msg)
	}
	if qid, rest, ok := queueIDOf(msg); ok {
		return r.postfixQueue(ln, qid, rest)
	}
	ln.server = true
	return nil
}

// queueIDOf splits "4F2A3B1C2D: text" into the queue id and text.
// Postfix queue ids are hexadecimal (short) or base-52 letters and digits
// (enable_long_queue_ids).
func queueIDOf(s string) (string, string, bool) {
	i := 0
	for i < len(s) && i < 32 && (isDigit(s[i]) || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		i++
	}
	if i < 5 || i+1 >= len(s) || s[i] != ':' || s[i+1] != ' ' || s[:i] == "NOQUEUE" || s[:i] == "warning" || s[:i] == "fatal" || s[:i] == "panic" || s[:i] == "error" {
		return "", "", false
	}
	return s[:i], s[i+2:], true
}

func (r *Reader) postfixSMTPD(ln *logLine, msg string) *Session {
	k := key{ln.host, ln.prog, ln.pid}
	switch {
	case strings.HasPrefix(msg, "connect from "):
		sess := r.newSession(k, FormatPostfix, ln.t, ln.clock)
		sess.ID = ln.prog + "[" + ln.pid + "]"
		if name, ip, port, _, ok := clientOf(msg[len("connect from "):]); ok {
			setClient(sess, name, ip, port)
		}
		r.postscreenHandoff(sess)
		if pre, ok := r.preConnect[k]; ok {
			delete(r.preConnect, k)
			r.note(sess, pre)
			sess.Lines++
		}
		return sess
	}
	sess := r.open[k]
	if sess == nil && strings.HasPrefix(msg, "warning: hostname ") {
		// smtpd checks the client's name before it logs the connection
		if len(r.preConnect) >= 1024 {
			clear(r.preConnect)
		}
		r.preConnect[k] = msg
		ln.server = true
		return nil
	}
	if sess == nil {
		if ln.pid == "" && !strings.HasPrefix(msg, "disconnect from ") {
			return nil
		}
		// the log starts inside the session
		sess = r.newSession(k, FormatPostfix, ln.t, ln.clock)
		sess.ID = ln.prog + "[" + ln.pid + "]"
	}
	if qid, rest, ok := queueIDOf(msg); ok {
		return r.postfixQueueOf(sess, ln, qid, rest)
	}
	switch {
	case strings.HasPrefix(msg, "disconnect from "):
		r.postfixClient(sess, msg[len("disconnect from "):])
		if strings.Contains(msg, " auth=0/") {
			sess.addAnomaly(AnomalyAuthFailed)
		}
		r.note(sess, msg)
		r.closeConn(sess)
	case strings.HasPrefix(msg, "NOQUEUE: "):
		r.postfixReject(sess, ln, msg[len("NOQUEUE: "):])
	case strings.HasPrefix(msg, "warning: non-SMTP command from "):
		r.postfixClient(sess, msg[len("warning: non-SMTP command from "):])
		if i := strings.Index(msg, "]: "); i >= 0 {
			r.command(sess, msg[i+3:], ln.t)
		}
	case strings.HasPrefix(msg, "improper command pipelining after "):
		sess.addAnomaly(AnomalyPipelining)
		r.note(sess, msg)
	case strings.Contains(msg, "authentication failed"):
		sess.addAnomaly(AnomalyAuthFailed)
		r.note(sess, msg)
	default:
		for _, p := range postfixNotes {
			if strings.HasPrefix(msg, p) {
				r.note(sess, msg)
				return sess
			}
		}
		r.unparsed(sess, ln.raw)
	}
	return sess
}

// postfixClient fills the client from "NAME[IP]..." when still unknown.
func (r *Reader) postfixClient(sess *Session, s string) {
	if sess.Client.IsValid() {
		return
	}
	if name, ip, port, _, ok := clientOf(s); ok {
		setClient(sess, name, ip, port)
	}
}

// postfixReject reads "reject: RCPT from NAME[IP]: 554 5.7.1 reply;
// from=<a> to=<b> proto=ESMTP helo=<h>" (also "milter-reject:",
// "reject_warning:" and postscreen's comma-separated variant) and
// cleanup's "reject: header Subject: x from NAME[IP]; from=<a> to=<b>
// proto=ESMTP helo=<h>: 5.7.1 reply".
func (r *Reader) postfixReject(sess *Session, ln *logLine, s string) bool {
	var action string
	switch {
	case strings.HasPrefix(s, "reject: "):
		action = "reject"
	case strings.HasPrefix(s, "milter-reject: "):
		action = "milter-reject"
	case strings.HasPrefix(s, "reject_warning: "):
		r.note(sess, s)
		return true
	default:
		if strings.HasPrefix(s, "filter: ") || strings.HasPrefix(s, "hold: ") || strings.HasPrefix(s, "discard: ") || strings.HasPrefix(s, "redirect: ") || strings.HasPrefix(s, "warn: ") || strings.HasPrefix(s, "info: ") {
			r.note(sess, s)
			return true
		}
		r.unparsed(sess, ln.raw)
		return false
	}
	s = s[len(action)+2:]
	rj := Rejection{Time: ln.t}
	body, tail := s, ""
	if i := strings.LastIndex(s, "; from=<"); i >= 0 {
		body, tail = s[:i], s[i+2:]
	} else if i := strings.LastIndex(s, ", from=<"); i >= 0 {
		body, tail = s[:i], s[i+2:]
	}
	stage := body
	if sp := strings.IndexByte(stage, ' '); sp >= 0 {
		stage = stage[:sp]
	}
	switch stage {
	case "header", "body", "Header", "Body":
		rj.Stage = "DATA"
		if i := strings.Index(tail, ">: "); i >= 0 {
			rj.Reply = tail[i+3:]
			tail = tail[:i+1]
		}
	default:
		rj.Stage = stage
		if i := strings.Index(body, "]: "); i >= 0 {
			rj.Reply = body[i+3:]
		} else if i := strings.Index(body, ": "); i >= 0 {
			rj.Reply = body[i+2:]
		}
	}
	if f := strings.Index(body, " from "); f >= 0 {
		r.postfixClient(sess, body[f+len(" from "):])
	}
	rj.Code, rj.Enhanced = replyCode(rj.Reply)
	rj.Blocklist = blocklistOf(rj.Reply)
	if from, ok := angle(tail, "from=<"); ok && sess.MailFrom == "" {
		sess.MailFrom = from
	}
	if to, ok := angle(tail, "to=<"); ok {
		rj.Recipient = to
		if rj.Stage == "RCPT" {
			sess.addRcpt(to)
		}
	}
	if p, ok := field(tail, "proto="); ok && sess.Protocol == "" {
		sess.Protocol = p
	}
	if helo, ok := angle(tail, "helo=<"); ok && sess.HELO == "" {
		sess.HELO = helo
	}
	// reject_unknown_helo_hostname: the name has no A or MX record
	if containsFold(rj.Reply, "helo command rejected: host not found") {
		sess.Verified = VerifyFail
		sess.addAnomaly(AnomalyHELOUnverified)
	}
	r.addRejection(sess, rj)
	return true
}

// postfixQueue reads a "QUEUEID: ..." line of cleanup, qmgr, a delivery
// agent, pickup or bounce.
func (r *Reader) postfixQueue(ln *logLine, qid, rest string) *Session {
	sess := r.byQID[qkey{ln.host, qid}]
	if sess == nil {
		sess = r.orphan(ln.host, qid, FormatPostfix, ln.t, ln.clock)
	}
	return r.postfixQueueOf(sess, ln, qid, rest)
}

func (r *Reader) postfixQueueOf(sess *Session, ln *logLine, qid, rest string) *Session {
	var m *Message
	if r.byQID[qkey{ln.host, qid}] == sess {
		m = sess.message(qid)
	} else {
		m = r.bindQID(sess, ln.host, qid)
	}
	switch {
	case strings.HasPrefix(rest, "client="):
		r.postfixClient(sess, rest[len("client="):])
		if strings.Contains(rest, "sasl_username=") {
			r.note(sess, rest)
		}
	case strings.HasPrefix(rest, "message-id="):
		m.MessageID = rest[len("message-id="):]
	case strings.HasPrefix(rest, "from=<"):
		m.From, _ = angle(rest, "from=<")
		if v, ok := field(rest, "size="); ok {
			m.Size, _ = strconv.ParseInt(v, 10, 64)
		}
		if strings.Contains(rest, "status=expired") {
			m.Status = "expired"
		}
	case strings.HasPrefix(rest, "to=<"):
		to, _ := angle(rest, "to=<")
		m.addTo(to)
		if v, ok := field(rest, "status="); ok {
			m.Status = v
		}
	case rest == "removed":
		m.Done = true
	case strings.HasPrefix(rest, "uid="):
		// pickup: locally submitted
		if from, ok := angle(rest, "from=<"); ok {
			m.From = from
		}
	case strings.HasPrefix(rest, "reject: ") || strings.HasPrefix(rest, "milter-reject: "):
		r.postfixReject(sess, ln, rest)
		m.Done = true
		m.Status = "rejected"
	case strings.HasPrefix(rest, "discard: "):
		r.note(sess, rest)
		m.Done = true
		m.Status = "discarded"
	default:
		r.note(sess, rest)
	}
	return sess
}

// postscreen reads the lines of Postfix's postscreen(8): "CONNECT from
// [IP]:PORT to [IP]:25", "PREGREET 11 after 0.1 from [IP]:PORT: EHLO x\r\n",
// "DNSBL rank 3 for [IP]:PORT", "NON-SMTP COMMAND from [IP]:PORT after
// CONNECT: GET / HTTP/1.1", "COMMAND PIPELINING from [IP]:PORT after EHLO:
// …", "BARE NEWLINE from [IP]:PORT after …", "NOQUEUE: reject: RCPT from
// [IP]:PORT: 550 5.7.1 Service unavailable; client [IP] blocked using
// zen.spamhaus.org; from=<a>, to=<b>, proto=ESMTP, helo=<h>", "PASS NEW
// [IP]:PORT", "DISCONNECT [IP]:PORT".
func (r *Reader) postscreen(ln *logLine, msg string) *Session {
	b := strings.IndexByte(msg, '[')
	if b < 0 {
		ln.server = true
		return nil
	}
	_, ip, port, _, ok := clientOf(msg[b:])
	if !ok {
		ln.server = true
		return nil
	}
	id := ip.String() + ":" + strconv.Itoa(int(port))
	k := key{ln.host, "postscreen", id}
	sess := r.open[k]
	if strings.HasPrefix(msg, "CONNECT from ") || sess == nil {
		sess = r.newSession(k, FormatPostfix, ln.t, ln.clock)
		sess.ID = ln.prog + "[" + ln.pid + "] [" + ip.String() + "]:" + strconv.Itoa(int(port))
		setClient(sess, "", ip, port)
	}
	verb := msg
	if sp := strings.IndexByte(verb, ' '); sp >= 0 {
		verb = verb[:sp]
	}
	switch verb {
	case "CONNECT":
	case "PREGREET":
		sess.addAnomaly(AnomalyPipelining)
		if i := strings.Index(msg, "]:"); i >= 0 {
			if j := strings.Index(msg[i:], ": "); j >= 0 {
				r.command(sess, strings.TrimSuffix(msg[i+j+2:], `\r\n`), ln.t)
			}
		}
	case "DNSBL":
		sess.addAnomaly(AnomalyBlocklisted)
		r.note(sess, msg)
	case "NON-SMTP":
		if i := strings.Index(msg, " after "); i >= 0 {
			if j := strings.Index(msg[i:], ": "); j >= 0 {
				r.command(sess, msg[i+j+2:], ln.t)
			}
		}
	case "COMMAND":
		if strings.HasPrefix(msg, "COMMAND PIPELINING") {
			sess.addAnomaly(AnomalyPipelining)
		}
		r.note(sess, msg)
	case "BARE":
		sess.addAnomaly(AnomalyBareLF)
		r.note(sess, msg)
	case "NOQUEUE:":
		r.postfixReject(sess, ln, msg[len("NOQUEUE: "):])
	case "PASS":
		// smtpd takes the connection over; it is returned with
		// smtpd's session, or on its own after the time-out
		r.note(sess, msg)
		delete(r.open, k)
		sess.Closed = true
		r.handed[ip] = sess
	case "DISCONNECT":
		r.closeConn(sess)
	default:
		r.note(sess, msg)
	}
	return sess
}

// postscreenHandoff joins a postscreen session that passed its tests to
// the smtpd session the connection was handed to.
func (r *Reader) postscreenHandoff(sess *Session) {
	ps := r.handed[sess.Client]
	if ps == nil {
		return
	}
	delete(r.handed, sess.Client)
	if ps.Server != sess.Server || sess.Start.Sub(ps.End) > 5e9 {
		return
	}
	sess.ClientPort = ps.ClientPort
	sess.Start = ps.Start
	sess.Commands = append(ps.Commands, sess.Commands...)
	for _, a := range ps.Anomalies {
		sess.addAnomaly(a)
	}
	sess.Rejections = append(ps.Rejections, sess.Rejections...)
	sess.Notes = append(ps.Notes, sess.Notes...)
	sess.Lines += ps.Lines
	sess.ID = ps.ID + " " + sess.ID
	// ps is not returned on its own
	ps.emitted = true
	delete(r.live, ps)
}
