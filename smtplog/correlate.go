package smtplog

import (
	"net/netip"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/received"
)

// Index holds sessions for [Correlate]: by queue id, by client address,
// and the time each server's log covers. Build it with [NewIndex]; it is
// safe for concurrent use once built.
type Index struct {
	byQID    map[string][]*Session
	byClient map[netip.Addr][]*Session
	cover    map[string]span // server (lower case) → the time its sessions cover
	servers  []string
}

// NewIndex indexes sessions.
func NewIndex(sessions []*Session) *Index {
	x := &Index{byQID: map[string][]*Session{}, byClient: map[netip.Addr][]*Session{}, cover: map[string]span{}}
	for _, s := range sessions {
		x.Add(s)
	}
	return x
}

// Add indexes one more session.
func (x *Index) Add(s *Session) {
	for i := range s.Messages {
		q := s.Messages[i].QueueID
		x.byQID[q] = append(x.byQID[q], s)
	}
	if s.Client.IsValid() {
		x.byClient[s.Client] = append(x.byClient[s.Client], s)
	}
	name := strings.ToLower(s.Server)
	c, ok := x.cover[name]
	if !ok {
		x.servers = append(x.servers, name)
		c = span{Start: s.Start, End: s.End, Clock: s.Clock}
	}
	if s.Start.Before(c.Start) {
		c.Start = s.Start
	}
	if s.End.After(c.End) {
		c.End = s.End
	}
	x.cover[name] = c
}

type span struct {
	Start, End time.Time
	Clock      Clock
}

// Check is one thing a hop says, compared with the log.
type Check struct {
	// Field is "ip", "helo", "envelope-from", "recipient" or "queue-id".
	Field string
	Hop   string // what the Received header says
	Log   string // what the log says
	Agree bool
	// Strong is true when a disagreement means the header does not
	// describe this session (the address, HELO, envelope sender or
	// queue id differ); a recipient may differ through aliasing.
	Strong bool
}

// Verdict is what the log says about one hop.
type Verdict struct {
	Hop int // index of the hop in the slice given to Correlate
	// Session is the hop's session; nil when the log of the hop's server
	// covers the hop's date but has no session for it.
	Session *Session
	// By says how the session was found: "queue-id" or "time-client".
	By     string
	Checks []Check
}

// Contradicts reports whether a strong check disagrees, or no session was found.
func (v *Verdict) Contradicts() bool {
	if v.Session == nil {
		return true
	}
	for _, c := range v.Checks {
		if c.Strong && !c.Agree {
			return true
		}
	}
	return false
}

// Slack is how far a hop's date may lie outside its session's start and
// end and still match by time (clocks, and the time between the
// connection and the header being written).
const Slack = 2 * time.Minute

// Correlate returns a verdict for each hop written by a server whose
// sessions x holds: the hop's session is found by its queue id (the hop's
// "id" clause) on that server, else by the client address and the hop's
// date. A hop whose server is not in x gets no verdict. Servers are
// matched by name (a log's short host name matches the first label of
// the hop's by-host) or address.
func Correlate(hops []received.Hop, x *Index) []Verdict {
	var out []Verdict
	for i := range hops {
		h := &hops[i]
		if !x.knowsServer(h) {
			continue
		}
		v := Verdict{Hop: i}
		if h.ID != "" {
			for _, s := range x.byQID[h.ID] {
				if serverMatches(h, s.Server) || s.Server == "" {
					v.Session, v.By = s, "queue-id"
					break
				}
			}
		}
		if v.Session == nil && h.From.IP.IsValid() && !h.Date.IsZero() {
			best := time.Duration(-1)
			for _, s := range x.byClient[h.From.IP.Unmap()] {
				if !serverMatches(h, s.Server) {
					continue
				}
				if d, ok := within(h.Date, s); ok && (best < 0 || d < best) {
					v.Session, v.By, best = s, "time-client", d
				}
			}
		}
		if v.Session == nil {
			if h.Date.IsZero() || !x.covers(h) {
				continue
			}
			out = append(out, v)
			continue
		}
		v.Checks = compare(h, v.Session, v.By)
		out = append(out, v)
	}
	return out
}

func (x *Index) knowsServer(h *received.Hop) bool {
	for _, name := range x.servers {
		if name != "" && serverMatches(h, name) {
			return true
		}
	}
	if h.ID != "" {
		for _, s := range x.byQID[h.ID] {
			if s.Server == "" {
				return true
			}
		}
	}
	return false
}

// covers reports whether the log of the hop's server spans the hop's date.
func (x *Index) covers(h *received.Hop) bool {
	for name, c := range x.cover {
		if name == "" || !serverMatches(h, name) {
			continue
		}
		if _, ok := within(h.Date, &Session{Start: c.Start, End: c.End, Clock: c.Clock}); ok {
			return true
		}
	}
	return false
}

// serverMatches reports whether the hop's by side names the log's server.
func serverMatches(h *received.Hop, server string) bool {
	if server == "" {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(h.By.Host, "."))
	server = strings.ToLower(strings.TrimSuffix(server, "."))
	if a, err := netip.ParseAddr(strings.Trim(server, "[]")); err == nil {
		return h.By.IP.IsValid() && h.By.IP.Unmap() == a.Unmap() || strings.Trim(host, "[]") == a.String()
	}
	if host == "" {
		return false
	}
	if host == server {
		return true
	}
	// a short syslog host name ("mx") against "mx.example.org"
	if !strings.Contains(server, ".") {
		return strings.HasPrefix(host, server+".")
	}
	if !strings.Contains(host, ".") {
		return strings.HasPrefix(server, host+".")
	}
	return false
}

// within reports whether the hop's date falls in the session's span
// widened by Slack, and how far it is from the start. Local log times are
// compared with the hop's own wall clock: the same server wrote both in
// its zone. Time-only logs compare the time of day.
func within(d time.Time, s *Session) (time.Duration, bool) {
	start, end := s.Start, s.End
	switch s.Clock {
	case ClockNoYear:
		// the log's year is a guess: take the hop's date in the
		// session's year (or the next, across New Year)
		d = wall(d)
		start, end = wall(start), wall(end)
		for _, y := range []int{start.Year(), end.Year()} {
			dy := time.Date(y, d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC)
			if !dy.Before(start.Add(-Slack)) && !dy.After(end.Add(Slack)) {
				return abs(dy.Sub(start)), true
			}
		}
		return 0, false
	case ClockLocal:
		d = wall(d)
		start, end = wall(start), wall(end)
	case ClockTimeOnly:
		tod := func(t time.Time) time.Duration {
			h, m, sec := t.Clock()
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
		}
		a, b, x := tod(start), tod(end), tod(d)
		if b < a {
			b += 24 * time.Hour
			if x < a {
				x += 24 * time.Hour
			}
		}
		if x >= a-Slack && x <= b+Slack {
			return abs(x - a), true
		}
		return 0, false
	}
	if d.Before(start.Add(-Slack)) || d.After(end.Add(Slack)) {
		return 0, false
	}
	return abs(d.Sub(start)), true
}

func wall(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func trimAngle(s string) string { return strings.Trim(strings.TrimSpace(s), "<>") }

func compare(h *received.Hop, s *Session, by string) []Check {
	var cs []Check
	if h.From.IP.IsValid() && s.Client.IsValid() {
		cs = append(cs, Check{Field: "ip", Hop: h.From.IP.String(), Log: s.Client.String(), Agree: h.From.IP.Unmap() == s.Client.Unmap(), Strong: true})
	}
	if h.From.HELO != "" && s.HELO != "" {
		a, b := strings.Trim(h.From.HELO, "[]"), strings.Trim(s.HELO, "[]")
		cs = append(cs, Check{Field: "helo", Hop: h.From.HELO, Log: s.HELO, Agree: strings.EqualFold(a, b), Strong: true})
	}
	var msg *Message
	for i := range s.Messages {
		if s.Messages[i].QueueID == h.ID {
			msg = &s.Messages[i]
		}
	}
	if h.EnvelopeFrom != "" {
		from := s.MailFrom
		if msg != nil && msg.From != "" {
			from = msg.From
		}
		if from != "" || msg != nil {
			cs = append(cs, Check{Field: "envelope-from", Hop: h.EnvelopeFrom, Log: from, Agree: strings.EqualFold(trimAngle(h.EnvelopeFrom), from), Strong: true})
		}
	}
	if h.For != "" {
		want := trimAngle(h.For)
		var all []string
		all = append(all, s.RcptTo...)
		if msg != nil {
			all = append(all, msg.To...)
		}
		if len(all) > 0 {
			ok := false
			for _, a := range all {
				if strings.EqualFold(a, want) {
					ok = true
				}
			}
			cs = append(cs, Check{Field: "recipient", Hop: h.For, Log: strings.Join(all, ", "), Agree: ok})
		}
	}
	if by == "time-client" && h.ID != "" && len(s.Messages) > 0 {
		cs = append(cs, Check{Field: "queue-id", Hop: h.ID, Log: strings.Join(s.QueueIDs(), ", "), Agree: false, Strong: true})
	} else if by == "queue-id" {
		cs = append(cs, Check{Field: "queue-id", Hop: h.ID, Log: h.ID, Agree: true, Strong: true})
	}
	return cs
}
