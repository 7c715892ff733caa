package smtplog

import (
	"strconv"
	"strings"
)

// sendmail logs through syslog, tagged "sendmail[pid]" or "sm-mta[pid]".
// A daemon child serves one connection, so its pid names the session; the
// queue id ties the envelope line ("from=<a>, size=N, nrcpts=1,
// msgid=<id>, relay=NAME [IP]") to the delivery lines ("to=<b>, …,
// stat=Sent"). Rejections come from rulesets ("ruleset=check_rcpt,
// arg1=<b>, relay=NAME [IP], reject=550 5.7.1 …"). The start of a
// connection is logged only at high LogLevels and the HELO not at all;
// a session ends when its messages have all been delivered, when the
// client leaves ("lost input channel", "did not issue MAIL"), or after the
// time-out.

func (r *Reader) sendmail(ln *logLine) *Session {
	msg := ln.msg
	qid := ""
	if q, rest, ok := queueIDOf(msg); ok {
		qid, msg = q, rest
	} else if strings.HasPrefix(msg, "NOQUEUE: ") {
		msg = msg[len("NOQUEUE: "):]
	}
	k := key{ln.host, ln.prog, ln.pid}
	sess := r.open[k]
	if qid != "" {
		if s := r.byQID[qkey{ln.host, qid}]; s != nil {
			sess = s
		}
	}
	// relay= names the client on the envelope, ruleset and server-side
	// lines (on delivery lines it is the next hop, not read here)
	relay := func(s string) {
		if i := strings.Index(s, "relay="); i >= 0 {
			if name, ip, port, _, ok := clientOf(s[i+len("relay="):]); ok {
				setClient(sess, name, ip, port)
			}
		}
	}
	start := func() {
		if sess == nil || sess.key != k && strings.HasPrefix(msg, "from=") {
			sess = r.newSession(k, FormatSendmail, ln.t, ln.clock)
			sess.ID = ln.prog + "[" + ln.pid + "]"
			sess.soft = true
		}
	}
	switch {
	case strings.HasPrefix(msg, "from="):
		start()
		m := r.bindQID(sess, ln.host, qid)
		from := strings.TrimPrefix(msg, "from=")
		from = pathArg(strings.SplitN(from, ",", 2)[0])
		m.From = from
		if sess.MailFrom == "" {
			sess.MailFrom = from
		}
		if v, ok := field(msg, "size="); ok {
			m.Size, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := field(msg, "nrcpts="); ok {
			m.want, _ = strconv.Atoi(v)
		}
		if v, ok := field(msg, "msgid="); ok {
			m.MessageID = v
		}
		if v, ok := field(msg, "proto="); ok && sess.Protocol == "" {
			sess.Protocol = v
		}
		relay(msg)
	case strings.HasPrefix(msg, "to="):
		if sess == nil {
			if qid == "" {
				return nil
			}
			sess = r.orphan(ln.host, qid, FormatSendmail, ln.t, ln.clock)
		}
		m := sess.message(qid)
		to := msg[len("to="):]
		if i := strings.Index(to, ", "); i >= 0 {
			to = to[:i]
		}
		n := 0
		for _, a := range strings.Split(to, ",") {
			if a = strings.Trim(strings.TrimSpace(a), "<>"); a != "" {
				m.addTo(a)
				n++
			}
		}
		if v, ok := field(msg, "stat="); ok {
			m.Status = strings.ToLower(v)
			if m.Status != "deferred" && m.Status != "queued" {
				m.got += n
				if m.want > 0 && m.got >= m.want {
					m.Done = true
				}
			}
		}
	case strings.HasPrefix(msg, "ruleset="):
		start()
		relay(msg)
		r.sendmailReject(sess, ln, msg)
	case strings.HasPrefix(msg, "lost input channel from ") || strings.Contains(msg, " did not issue MAIL/EXPN/VRFY/ETRN") || strings.HasPrefix(msg, "timeout waiting for input from "):
		start()
		if name, ip, port, _, ok := clientOf(strings.TrimPrefix(msg, "lost input channel from ")); ok {
			setClient(sess, name, ip, port)
		}
		r.note(sess, msg)
		r.closeConn(sess)
	case strings.HasPrefix(msg, "connect from "):
		sess = r.newSession(k, FormatSendmail, ln.t, ln.clock)
		sess.ID = ln.prog + "[" + ln.pid + "]"
		if name, ip, port, _, ok := clientOf(msg[len("connect from "):]); ok {
			setClient(sess, name, ip, port)
		}
	case strings.HasPrefix(msg, "AUTH failure") || strings.Contains(msg, "authentication failure"):
		start()
		relay(msg)
		sess.addAnomaly(AnomalyAuthFailed)
		r.note(sess, msg)
	case strings.HasPrefix(msg, "rejecting commands from ") && strings.Contains(msg, "pre-greeting traffic"):
		start()
		if name, ip, port, _, ok := clientOf(msg[len("rejecting commands from "):]); ok {
			setClient(sess, name, ip, port)
		}
		sess.addAnomaly(AnomalyPipelining)
		r.note(sess, msg)
	case strings.HasPrefix(msg, "STARTTLS") || strings.HasPrefix(msg, "Milter") || strings.HasPrefix(msg, "collect:") || strings.Contains(msg, "possible SMTP attack") || strings.HasPrefix(msg, "done; ") || strings.HasPrefix(msg, "clone ") || strings.HasPrefix(msg, "DSN: ") || strings.HasPrefix(msg, "sender notify"):
		if sess == nil {
			ln.server = qid == ""
			if qid == "" {
				return nil
			}
			sess = r.orphan(ln.host, qid, FormatSendmail, ln.t, ln.clock)
		}
		if strings.HasPrefix(msg, "STARTTLS=server") {
			relay(msg)
		}
		r.note(sess, msg)
	default:
		if sess == nil {
			ln.server = qid == "" && (strings.HasPrefix(msg, "starting daemon") || strings.HasPrefix(msg, "alias database") || strings.Contains(msg, "aliases, longest"))
			return nil
		}
		r.unparsed(sess, ln.raw)
	}
	return sess
}

// rulesetStages maps sendmail's check rulesets to the SMTP stage they
// guard.
var rulesetStages = map[string]string{
	"check_relay": "CONNECT", "check_helo": "HELO", "check_mail": "MAIL", "check_rcpt": "RCPT",
	"check_data": "DATA", "check_eoh": "DATA", "check_eom": "END-OF-MESSAGE", "check_compat": "RCPT", "tls_client": "STARTTLS", "tls_server": "STARTTLS",
}

func (r *Reader) sendmailReject(sess *Session, ln *logLine, s string) {
	rs, _ := field(s, "ruleset=")
	arg1, _ := field(s, "arg1=")
	i := strings.Index(s, "reject=")
	if i < 0 {
		r.note(sess, s)
		return
	}
	reply := s[i+len("reject="):]
	rj := Rejection{Time: ln.t, Stage: rulesetStages[rs], Reply: reply}
	rj.Code, rj.Enhanced = replyCode(reply)
	rj.Blocklist = blocklistOf(reply)
	switch rj.Stage {
	case "RCPT":
		rj.Recipient = strings.Trim(arg1, "<>")
		sess.addRcpt(rj.Recipient)
	case "MAIL":
		if sess.MailFrom == "" {
			sess.MailFrom = strings.Trim(arg1, "<>")
		}
	case "HELO":
		if sess.HELO == "" {
			sess.HELO = arg1
		}
	}
	r.addRejection(sess, rj)
}
