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

// Add indexes one more session. The index keeps a copy of what
// correlation needs (the connection, envelope and messages, not the
// commands, notes and unparsed lines), so a long log's input blocks are
// not held (see the package doc on memory); verdicts point to the copy.
func (x *Index) Add(s *Session) {
	s = s.summary()
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

// summary copies the fields correlation reads, with strings of their own.
func (s *Session) summary() *Session {
	c := strings.Clone
	cs := func(v []string) []string {
		out := make([]string, len(v))
		for i := range v {
			out[i] = c(v[i])
		}
		return out
	}
	t := &Session{
		Format: s.Format, Server: c(s.Server), ID: c(s.ID),
		Client: s.Client, ClientPort: s.ClientPort, ClientName: c(s.ClientName),
		HELO: c(s.HELO), Verified: s.Verified, Protocol: c(s.Protocol), MailFrom: c(s.MailFrom), RcptTo: cs(s.RcptTo),
		Anomalies: s.Anomalies, Start: s.Start, End: s.End, Clock: s.Clock, Closed: s.Closed,
		Lines: s.Lines, Dropped: s.Dropped,
	}
	t.Messages = make([]Message, len(s.Messages))
	for i, m := range s.Messages {
		t.Messages[i] = Message{QueueID: c(m.QueueID), MessageID: c(m.MessageID), From: c(m.From), To: cs(m.To), Size: m.Size, Status: c(m.Status), Done: m.Done}
	}
	return t
}

// Check is one thing a hop says, compared with the log.
type Check struct {
	// Field is "ip", "helo", "envelope-from", "recipient" or "queue-id"
	// (agreeing: the session was found by it).
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
	// Session is the index's copy of the hop's session (see
	// [Index.Add]); nil when the log of the hop's server covers the hop's
	// date but has no session for it.
	Session *Session
	// By says how the session was found: "queue-id" or "time-client".
	By     string
	Checks []Check
	// Nearby counts, when Session is nil, the sessions from the hop's
	// client at the hop's time (none of them with the hop's queue id).
	Nearby int
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
// sessions x holds. The hop's session is the one with the hop's queue id
// (its "id" clause) on that server; a hop without an id is matched by
// its client address and date, taking of that client's sessions at that
// time the one that agrees best (a sender may hold several connections at
// once). A hop that has an id the log lacks, or no session at all, gets a
// verdict without a session when the log covers the hop's date.
//
// Servers are matched by name or address. A log's short host name ("mx",
// as syslog writes it) matches the first label of the hop's by-host, but
// another organisation's "mx" matches as well, so on such a match alone
// the log is only allowed to confirm: a verdict that contradicts, or
// finds no session, needs the queue id or the full name.
func Correlate(hops []received.Hop, x *Index) []Verdict {
	var out []Verdict
	for i := range hops {
		h := &hops[i]
		v := Verdict{Hop: i}
		if h.ID != "" {
			v.Session = x.byQueueID(h)
			v.By = "queue-id"
		}
		if v.Session != nil {
			v.Checks = compare(h, v.Session, v.By)
			out = append(out, v)
			continue
		}
		named, exact := x.knowsServer(h)
		if !named || h.Date.IsZero() {
			continue
		}
		var near []*Session
		if h.From.IP.IsValid() {
			for _, s := range x.byClient[h.From.IP.Unmap()] {
				if ok, _ := matchServer(h, s.Server); ok {
					if _, in := within(h.Date, s); in {
						near = append(near, s)
					}
				}
			}
		}
		if h.ID == "" && len(near) > 0 {
			var (
				best    *Session
				bestBad int
				bestD   time.Duration
			)
			for _, s := range near {
				bad := 0
				for _, c := range compare(h, s, "time-client") {
					if c.Strong && !c.Agree {
						bad++
					}
				}
				d, _ := within(h.Date, s)
				if best == nil || bad < bestBad || bad == bestBad && d < bestD {
					best, bestBad, bestD = s, bad, d
				}
			}
			v.Session, v.By = best, "time-client"
			v.Checks = compare(h, best, v.By)
			if !v.Contradicts() || exact {
				out = append(out, v)
			}
			continue
		}
		if exact && x.covers(h) {
			v.Nearby = len(near)
			out = append(out, v)
		}
	}
	return out
}

// byQueueID returns the session of the hop's server with the hop's queue
// id. Queue ids are reused (Postfix's short ids come from inode numbers),
// so of several the one whose time holds the hop's date is taken, and
// one whose time does not is no match; a hop or session without a time
// matches on the id alone.
func (x *Index) byQueueID(h *received.Hop) *Session {
	var (
		best  *Session
		bestD time.Duration
	)
	for _, s := range x.byQID[h.ID] {
		if ok, _ := matchServer(h, s.Server); !ok && s.Server != "" {
			continue
		}
		if h.Date.IsZero() || s.Start.IsZero() {
			if best == nil {
				best, bestD = s, 1<<62
			}
			continue
		}
		if d, in := within(h.Date, s); in && (best == nil || d < bestD) {
			best, bestD = s, d
		}
	}
	return best
}

// knowsServer reports whether some session's server matches the hop's
// by side, and whether some matches exactly.
func (x *Index) knowsServer(h *received.Hop) (named, exact bool) {
	for _, name := range x.servers {
		ok, ex := matchServer(h, name)
		named = named || ok
		exact = exact || ex
	}
	return named, exact
}

// covers reports whether the log of the hop's server spans the hop's date.
func (x *Index) covers(h *received.Hop) bool {
	for name, c := range x.cover {
		if _, exact := matchServer(h, name); !exact {
			continue
		}
		if _, ok := within(h.Date, &Session{Start: c.Start, End: c.End, Clock: c.Clock}); ok {
			return true
		}
	}
	return false
}

// matchServer reports whether the hop's by side names the log's server,
// and whether exactly (the same full name or address) rather than by a
// short name's first label.
func matchServer(h *received.Hop, server string) (ok, exact bool) {
	if server == "" {
		return false, false
	}
	host := strings.ToLower(strings.TrimSuffix(h.By.Host, "."))
	server = strings.ToLower(strings.TrimSuffix(server, "."))
	if a, err := netip.ParseAddr(strings.Trim(server, "[]")); err == nil {
		m := h.By.IP.IsValid() && h.By.IP.Unmap() == a.Unmap() || strings.Trim(host, "[]") == a.String()
		return m, m
	}
	switch {
	case host == "":
		return false, false
	case host == server:
		return true, strings.Contains(host, ".")
	case !strings.Contains(server, "."):
		// a short syslog host name ("mx") against "mx.example.org"
		return strings.HasPrefix(host, server+"."), false
	case !strings.Contains(host, "."):
		return strings.HasPrefix(server, host+"."), false
	}
	return false, false
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
			c := Check{Field: "recipient", Hop: h.For, Log: strings.Join(all, ", ")}
			for _, a := range all {
				if strings.EqualFold(a, want) {
					c.Agree, c.Log = true, a
					break
				}
			}
			cs = append(cs, c)
		}
	}
	if by == "queue-id" {
		cs = append(cs, Check{Field: "queue-id", Hop: h.ID, Log: h.ID, Agree: true, Strong: true})
	}
	return cs
}
