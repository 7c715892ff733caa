package smtplog

import (
	"net/netip"
	"time"
)

// Format names the log format a session was read from.
type Format uint8

// Formats.
const (
	FormatUnknown    Format = iota
	FormatPostfix           // Postfix daemons through syslog or maillog_file
	FormatTranscript        // a Postfix "Transcript of session follows" (In:/Out: lines)
	FormatExim              // Exim's mainlog, or Exim through syslog
	FormatSendmail          // sendmail through syslog
	FormatStalker           // Stalker Internet Mail Server / CommuniGate Pro
)

var formatNames = [...]string{"unknown", "postfix", "postfix-transcript", "exim", "sendmail", "communigate"}

// String returns "postfix", "postfix-transcript", "exim", "sendmail",
// "communigate" or "unknown".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// Anomaly is something about a session that well-behaved clients do not
// do. It is string-backed: the names are part of the JSON contract.
type Anomaly string

// Anomalies.
const (
	// AnomalyHTTPOnSMTP: the client spoke HTTP (GET, POST, CONNECT …) to
	// the SMTP port, the signature of an open-proxy probe.
	AnomalyHTTPOnSMTP Anomaly = "http-on-smtp"
	// AnomalyPipelining: the client sent commands before the server's
	// reply (improper pipelining, talking before the greeting).
	AnomalyPipelining Anomaly = "pipelining"
	// AnomalyHELOUnverified: the server could not verify the HELO name.
	AnomalyHELOUnverified Anomaly = "helo-unverified"
	// AnomalyBlocklisted: the server refused the client because a DNS
	// blocklist lists it.
	AnomalyBlocklisted Anomaly = "blocklisted"
	// AnomalyAuthFailed: SMTP AUTH failed.
	AnomalyAuthFailed Anomaly = "auth-failed"
	// AnomalyBareLF: the client ended lines with a bare LF.
	AnomalyBareLF Anomaly = "bare-lf"
)

// String returns the anomaly's name.
func (a Anomaly) String() string { return string(a) }

// Verify says whether the server verified the HELO name.
type Verify uint8

// Verification results.
const (
	VerifyUnknown Verify = iota // the log does not say
	VerifyPass                  // the name resolved to the client's address
	VerifyFail                  // the server could not verify the name
)

// String returns "", "pass" or "fail".
func (v Verify) String() string {
	switch v {
	case VerifyPass:
		return "pass"
	case VerifyFail:
		return "fail"
	}
	return ""
}

// Clock says how much of a time stamp the log wrote.
type Clock uint8

// Clocks.
const (
	// ClockZoned: date, time and UTC offset (RFC 5424, RFC 3339, Exim
	// with log_timezone).
	ClockZoned Clock = iota
	// ClockLocal: date and time in the server's local time, zone unknown
	// (RFC 3339 without an offset, Exim's default, BSD syslog with a
	// year). The times are kept with that wall clock in
	// [Config.Location].
	ClockLocal
	// ClockTimeOnly: the time of day alone (Stalker). The date is
	// [Config.Date]'s, or 0001-01-01 when that is zero.
	ClockTimeOnly
	// ClockNoYear: month, day and time in local time, the year
	// [Config.Year]'s guess (BSD syslog, Postfix's maillog_file).
	ClockNoYear
)

// String returns "zoned", "local", "time-only" or "no-year".
func (c Clock) String() string {
	switch c {
	case ClockLocal:
		return "local"
	case ClockTimeOnly:
		return "time-only"
	case ClockNoYear:
		return "no-year"
	}
	return "zoned"
}

// Session is one SMTP connection as the server logged it, with the
// messages it carried. Every string is as the log wrote it. A zero field
// means the log did not say.
type Session struct {
	Format Format
	// Server is the logging host (the syslog host name), or the name the
	// server gave itself in its greeting or HELO reply when the log has
	// no host field.
	Server string
	// ID is the log's own handle for the connection: "smtpd[1234]",
	// "postscreen[99] [192.0.2.1]:4711", "SMTP-509", "exim[1234]".
	ID string

	Client     netip.Addr // the connecting address
	ClientPort uint16     // 0 when not logged
	ClientName string     // the reverse DNS name the server logged ("unknown" as written)

	// HELO is the HELO/EHLO argument as typed; Verified says whether the
	// server verified it.
	HELO     string
	Verified Verify

	// Protocol is the protocol as the log names it: Exim's P= ("esmtps",
	// "esmtpa"), Postfix's and sendmail's proto= ("ESMTP").
	Protocol string

	// MailFrom is the first MAIL FROM address, without angle brackets.
	MailFrom string
	// RcptTo holds every RCPT TO address given, accepted or not (refused
	// ones also appear in Rejections), without angle brackets.
	RcptTo []string

	// Banner is the server's greeting (220 …) when logged.
	Banner string
	// Commands are the client's commands in order, each with the server's
	// replies, when the log records the dialogue (Stalker, transcripts,
	// postscreen and smtpd warnings that quote a command).
	Commands []Command
	// Messages are the messages the session handed over, by queue id.
	Messages []Message
	// Rejections are the server's refusals.
	Rejections []Rejection
	// Anomalies, each once, in the order first seen.
	Anomalies []Anomaly

	Start, End time.Time
	Clock      Clock
	// Closed is true when the log showed the connection end; false when
	// the session was flushed because it went quiet for longer than
	// [Config.Timeout], the open-session cap was reached, or the input
	// ended.
	Closed bool

	// Notes are lines of the session the reader recognised as
	// informational (TLS established, lost connection, statistics).
	Notes []string
	// Unparsed are lines that belong to the session but that the reader
	// did not understand, as written (at most Config.MaxLines).
	Unparsed []string
	// Lines counts the log lines that went into the session; Dropped
	// counts those not kept because a per-session cap was reached.
	Lines, Dropped int

	key     key       // the connection's handle while it is open
	conn    bool      // the connection is open (its end not yet seen)
	soft    bool      // the log shows no connection start: the session ends with its messages
	emitted bool      // returned by Next
	seen    time.Time // log time of the latest line
	qids    []qkey    // queue ids bound to the session in Reader.byQID
	max     int       // Config.MaxLines: the cap of RcptTo, Messages and their To
	spare   Message   // where a message past the cap is read, and dropped
}

// Command is one client command with the server's reply.
type Command struct {
	Time  time.Time
	Verb  string // upper-cased first word: "HELO", "MAIL", "POST"
	Line  string // as typed, without the line end
	Reply string // the server's reply; several replies (354 then 250) joined by "\n"
}

// Message is one message of a session, as the log tracked it by queue id.
type Message struct {
	QueueID   string
	MessageID string   // with angle brackets as logged
	From      string   // envelope sender as logged, without angle brackets
	To        []string // recipients of delivery lines, without angle brackets
	Size      int64    // bytes; 0 when not logged
	Status    string   // the last delivery status: "sent", "deferred", "bounced", "delivered", "completed"
	Done      bool     // the log showed the message leave the queue

	want, got int // sendmail: recipients announced (nrcpts) and finished
	max       int // the session's cap of To
}

// Rejection is one refusal by the server.
type Rejection struct {
	Time time.Time
	// Stage is the SMTP stage refused: "CONNECT", "HELO", "MAIL", "RCPT",
	// "DATA", "END-OF-MESSAGE", or "" when not logged.
	Stage string
	// Code is the reply code, "554"; Enhanced the RFC 3463 code, "5.7.1".
	Code, Enhanced string
	// Reply is the whole reply or reason as logged.
	Reply string
	// Blocklist is the DNS blocklist zone named in the reply.
	Blocklist string
	// Recipient is the refused RCPT address when the line names one.
	Recipient string
}

func (s *Session) addAnomaly(a Anomaly) {
	for _, x := range s.Anomalies {
		if x == a {
			return
		}
	}
	s.Anomalies = append(s.Anomalies, a)
}

// HasAnomaly reports whether the session shows a.
func (s *Session) HasAnomaly(a Anomaly) bool {
	for _, x := range s.Anomalies {
		if x == a {
			return true
		}
	}
	return false
}

// QueueIDs returns the queue ids of the session's messages.
func (s *Session) QueueIDs() []string {
	ids := make([]string, 0, len(s.Messages))
	for i := range s.Messages {
		ids = append(ids, s.Messages[i].QueueID)
	}
	return ids
}

// message returns the session's message with queue id qid, adding it.
// Past the cap it returns a spare the session does not keep.
func (s *Session) message(qid string) *Message {
	for i := range s.Messages {
		if s.Messages[i].QueueID == qid {
			return &s.Messages[i]
		}
	}
	if s.max > 0 && len(s.Messages) >= s.max {
		s.Dropped++
		s.spare = Message{QueueID: qid, Done: true, max: s.max}
		return &s.spare
	}
	s.Messages = append(s.Messages, Message{QueueID: qid, max: s.max})
	return &s.Messages[len(s.Messages)-1]
}

func (s *Session) addRcpt(a string) {
	for _, x := range s.RcptTo {
		if x == a {
			return
		}
	}
	if s.max > 0 && len(s.RcptTo) >= s.max {
		s.Dropped++
		return
	}
	s.RcptTo = append(s.RcptTo, a)
}

func (m *Message) addTo(a string) {
	for _, x := range m.To {
		if x == a {
			return
		}
	}
	if m.max > 0 && len(m.To) >= m.max {
		return
	}
	m.To = append(m.To, a)
}
