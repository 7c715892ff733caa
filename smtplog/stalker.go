package smtplog

import (
	"strconv"
	"strings"
)

// The Stalker Internet Mail Server (now CommuniGate Pro) log: one line per
// event, "hh:mm:ss LEVEL COMPONENT-NUMBER(PEER) text", the connection's
// component and number ("SMTP-509") naming it throughout; the peer in
// parentheses is the client address until HELO, then the HELO name.
// Queue ids look like "S.0000014724"; the SYSTEM component logs the
// message's id and its delivery. Lines without a time stamp continue the
// line before (a multi-line reply, the "0+1 From:" part of a SYSTEM line).

type contKind uint8

const (
	contNone contKind = iota
	contReply
	contSystem
)

// contState is what a line without a time stamp continues.
type contState struct {
	kind contKind
	sess *Session
}

// stalkerQuiet lists the events that carry no session data; they are
// understood and counted with the session.
var stalkerQuiet = []string{"OT ", "*Status=", "Received ", "Writing ", "Looking for ", "Disconnect ", "Input Stream ended", "Closing", "Stream Created", "Resolver "}

func (r *Reader) stalker(ln *logLine) *Session {
	msg := ln.msg
	// component: letters, then "-N(peer)", "(x)" or " "
	i := 0
	for i < len(msg) && (msg[i] >= 'A' && msg[i] <= 'Z' || msg[i] >= 'a' && msg[i] <= 'z') {
		i++
	}
	comp := msg[:i]
	if comp == "" {
		return nil
	}
	rest := msg[i:]
	ln.prog = comp
	if comp == "SYSTEM" {
		return r.stalkerSystem(ln, rest)
	}
	if !strings.HasPrefix(rest, "-") {
		// "SMTP(509) Resolver Created", "SMTP Line 509 created …",
		// "SMTP(tcp) Connection accepted from …", "SMTP disposing line 509"
		ln.server = true
		return nil
	}
	j := 1
	for j < len(rest) && isDigit(rest[j]) {
		j++
	}
	num := rest[1:j]
	rest = rest[j:]
	if num == "" {
		return nil
	}
	if strings.HasPrefix(rest, "(") {
		if k := strings.IndexByte(rest, ')'); k >= 0 {
			rest = rest[k+1:]
		}
	}
	text := strings.TrimPrefix(rest, " ")
	k := key{proc: comp, id: num}
	sess := r.open[k]
	// a line number is reused: a new stream, or a second connection
	// on a line whose first never logged its end, is a new session
	if strings.HasPrefix(text, "Stream Created") || strings.HasPrefix(text, "Got connection from") && sess != nil && sess.Client.IsValid() {
		sess = nil
	}
	if sess == nil {
		sess = r.newSession(k, FormatStalker, ln.t, ln.clock)
		sess.ID = comp + "-" + num
	}
	switch {
	case strings.HasPrefix(text, "Got connection from "):
		if name, ip, port, _, ok := clientOf(text[len("Got connection from "):]); ok {
			setClient(sess, name, ip, port)
		}
	case strings.HasPrefix(text, "Input Line: "):
		r.command(sess, trimLiteralCRLF(text[len("Input Line: "):]), ln.t)
	case strings.HasPrefix(text, "Sending "):
		r.reply(sess, trimLiteralCRLF(text[len("Sending "):]), ln.t)
		r.cont = contState{contReply, sess}
	case strings.HasPrefix(text, "Failed to verify"):
		sess.Verified = VerifyFail
		sess.addAnomaly(AnomalyHELOUnverified)
		if b := strings.Index(text, "Real address is "); b >= 0 {
			if name, ip, port, _, ok := clientOf(text[b+len("Real address is "):]); ok {
				setClient(sess, name, ip, port)
			}
		}
	case strings.HasPrefix(text, "{"):
		// "{S.0000014724} received, 1199 bytes"
		if e := strings.IndexByte(text, '}'); e > 1 {
			qid := text[1:e]
			m := r.bindQID(sess, "", qid)
			if b := strings.Index(text, "received, "); b >= 0 {
				n := text[b+len("received, "):]
				if sp := strings.IndexByte(n, ' '); sp >= 0 {
					n = n[:sp]
				}
				m.Size, _ = strconv.ParseInt(n, 10, 64)
			}
		}
	case strings.HasPrefix(text, "Stream Disposed"):
		r.closeConn(sess)
	default:
		for _, q := range stalkerQuiet {
			if strings.HasPrefix(text, q) {
				return sess
			}
		}
		if containsFold(text, "auth") && containsFold(text, "fail") {
			sess.addAnomaly(AnomalyAuthFailed)
			r.note(sess, ln.raw)
			return sess
		}
		r.unparsed(sess, ln.raw)
	}
	return sess
}

// stalkerSystem reads "SYSTEM [S.0000014724] <message-id> 0+1 From:addr",
// "SYSTEM(POP) [S.x] delivered to (user)" and "SYSTEM [S.x] deleted".
func (r *Reader) stalkerSystem(ln *logLine, rest string) *Session {
	if strings.HasPrefix(rest, "(") {
		if k := strings.IndexByte(rest, ')'); k >= 0 {
			rest = rest[k+1:]
		}
	}
	rest = strings.TrimPrefix(rest, " ")
	if !strings.HasPrefix(rest, "[") {
		ln.server = true
		return nil
	}
	e := strings.IndexByte(rest, ']')
	if e < 0 {
		return nil
	}
	qid := rest[1:e]
	text := strings.TrimSpace(rest[e+1:])
	sess := r.byQID[qkey{"", qid}]
	if sess == nil {
		sess = r.orphan("", qid, FormatStalker, ln.t, ln.clock)
		if sess.Server == "" {
			sess.Server = r.cfg.Server
		}
	}
	m := sess.message(qid)
	switch {
	case strings.HasPrefix(text, "<"):
		if j := strings.IndexByte(text, '>'); j >= 0 {
			m.MessageID = text[:j+1]
			stalkerFrom(m, text[j+1:])
		}
		r.cont = contState{contSystem, sess}
	case strings.HasPrefix(text, "delivered to "):
		m.Status = "delivered"
		m.addTo(strings.Trim(text[len("delivered to "):], "()"))
	case text == "deleted":
		m.Done = true
		if m.Status == "" {
			m.Status = "deleted"
		}
	default:
		r.note(sess, ln.raw)
	}
	return sess
}

// stalkerFrom reads " 0+1 From:addr".
func stalkerFrom(m *Message, s string) {
	if i := strings.Index(s, "From:"); i >= 0 && m.From == "" {
		f := strings.TrimSpace(s[i+len("From:"):])
		if sp := strings.IndexByte(f, ' '); sp >= 0 {
			f = f[:sp]
		}
		m.From = strings.Trim(f, "<>")
	}
}

// noStamp reads a line without a time stamp: a transcript line, the
// continuation of the line before, or the text around a transcript.
func (r *Reader) noStamp(s string) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "In:") || strings.HasPrefix(t, "Out:"):
		r.cont = contState{}
		r.transcript(t)
		return
	case r.cont.kind != contNone:
		sess := r.cont.sess
		r.stats.Session++
		sess.Lines++
		switch r.cont.kind {
		case contReply:
			if len(sess.Commands) == 0 {
				sess.Banner = joinReply(sess, sess.Banner, trimLiteralCRLF(t))
			} else {
				c := &sess.Commands[len(sess.Commands)-1]
				c.Reply = joinReply(sess, c.Reply, trimLiteralCRLF(t))
			}
		case contSystem:
			if n := len(sess.Messages); n > 0 {
				stalkerFrom(&sess.Messages[n-1], " "+t)
			}
		}
		return
	}
	if r.tr != nil {
		if strings.HasPrefix(t, "Session aborted") {
			r.stats.Session++
			r.tr.Lines++
			r.note(r.tr, t)
			r.endTranscript()
			return
		}
		r.endTranscript()
	}
	if i := strings.Index(t, "errors from "); i >= 0 {
		r.trFrom = t[i+len("errors from "):]
		r.stats.Server++
		return
	}
	for _, p := range transcriptText {
		if strings.HasPrefix(t, p) {
			r.stats.Server++
			return
		}
	}
	r.unknown(s)
}

// transcriptText is the text Postfix writes around a transcript in its
// notices to the postmaster.
var transcriptText = []string{"Transcript of session follows", "For other details, see the local mail logfile", "Postfix SMTP server"}
