package smtplog

import (
	"strings"
	"time"
)

type lineKind uint8

const (
	kindNone lineKind = iota
	kindPostfix
	kindExim
	kindSendmail
	kindStalker
)

// logLine is one line split into its prefix fields and message.
type logLine struct {
	raw   string
	t     time.Time
	clock Clock
	host  string
	prog  string // the syslog tag's program, "postfix/smtpd"; Stalker's component, "SMTP"
	pid   string // the tag's process id; Stalker's line number
	msg   string
	kind  lineKind
	// server is set by a handler when the line is about the server
	// itself rather than a session.
	server bool
}

// stampCache remembers the last BSD time stamp, which most lines repeat.
type stampCache struct {
	text string
	t    time.Time
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func monthOf(s string) time.Month {
	if len(s) < 3 {
		return 0
	}
	for i, m := range months {
		if s[0] == m[0] && s[1]|0x20 == m[1] && s[2]|0x20 == m[2] {
			return time.Month(i + 1)
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits parses s[i:i+n] as a decimal number, or -1.
func digits(s string, i, n int) int {
	if i < 0 || i+n > len(s) {
		return -1
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// clockAt parses "hh:mm:ss" at s[i:], returning seconds of the day or -1.
func clockAt(s string, i int) int {
	h, m, sec := digits(s, i, 2), digits(s, i+3, 2), digits(s, i+6, 2)
	if h < 0 || m < 0 || sec < 0 || s[i+2] != ':' || s[i+5] != ':' || h > 23 || m > 59 || sec > 60 {
		return -1
	}
	return h*3600 + m*60 + sec
}

// fraction skips ".ddd" at s[i:], returning the nanoseconds and the index after it.
func fraction(s string, i int) (int, int) {
	if i >= len(s) || (s[i] != '.' && s[i] != ',') {
		return 0, i
	}
	j, ns, scale := i+1, 0, 100_000_000
	for j < len(s) && isDigit(s[j]) {
		ns += int(s[j]-'0') * scale
		scale /= 10
		j++
	}
	if j == i+1 {
		return 0, i
	}
	return ns, j
}

// parsePrefix reads the time stamp and, for syslog, the host and tag.
func (r *Reader) parsePrefix(s string, ln *logLine) bool {
	ln.raw = s
	rest := s
	if len(rest) > 2 && rest[0] == '<' {
		if j := strings.IndexByte(rest[:min(len(rest), 6)], '>'); j > 1 && digits(rest, 1, j-1) >= 0 {
			rest = rest[j+1:]
		}
	}
	switch {
	case len(rest) > 2 && rest[0] == '1' && rest[1] == ' ':
		return r.rfc5424(rest[2:], ln)
	case len(rest) >= 19 && rest[4] == '-' && rest[7] == '-' && digits(rest, 0, 4) >= 0:
		if rest[10] == 'T' {
			return r.rfc3339(rest, ln)
		}
		if rest[10] == ' ' {
			return r.eximStamp(rest, ln)
		}
	case len(rest) >= 20 && rest[4] == ' ' && digits(rest, 0, 4) >= 0 && monthOf(rest[5:]) != 0:
		// "2024 Mar 12 09:14:31 host ..."
		return r.bsd(rest[5:], digits(rest, 0, 4), ln)
	case len(rest) >= 15 && monthOf(rest) != 0 && rest[3] == ' ':
		return r.bsd(rest, 0, ln)
	case len(rest) >= 10 && clockAt(rest, 0) >= 0:
		return r.stalkerStamp(rest, ln)
	}
	return false
}

// bsd reads "Mmm dd hh:mm:ss host tag: msg" (RFC 3164), also with the
// year after the day ("Mmm dd yyyy hh:mm:ss") or before the month (year > 0).
func (r *Reader) bsd(s string, year int, ln *logLine) bool {
	var t time.Time
	i := 0
	noYear := year == 0
	if year == 0 && r.stamp.text != "" && len(s) >= len(r.stamp.text) && s[:len(r.stamp.text)] == r.stamp.text {
		t, i = r.stamp.t, len(r.stamp.text)
	} else {
		m := monthOf(s)
		day := -1
		switch {
		case s[4] == ' ' && isDigit(s[5]):
			day = int(s[5] - '0')
		case isDigit(s[4]) && isDigit(s[5]):
			day = digits(s, 4, 2)
		}
		if day < 1 || day > 31 || s[6] != ' ' {
			return false
		}
		i = 7
		if y := digits(s, i, 4); y >= 0 && len(s) > i+4 && s[i+4] == ' ' {
			year, i, noYear = y, i+5, false
		}
		tod := clockAt(s, i)
		if tod < 0 {
			return false
		}
		i += 8
		ns, j := fraction(s, i)
		i = j
		explicit := !noYear
		if !explicit {
			if r.month != 0 && m < r.month && r.month-m >= 6 {
				r.year++
			}
			r.month = m
			year = r.year
		}
		t = time.Date(year, m, day, 0, 0, tod, ns, r.cfg.Location)
		if !explicit && ns == 0 {
			r.stamp = stampCache{text: s[:i], t: t}
		}
	}
	if i >= len(s) || s[i] != ' ' {
		return false
	}
	ln.t, ln.clock = t, ClockLocal
	if noYear {
		ln.clock = ClockNoYear
	}
	return r.hostTag(s[i+1:], ln)
}

// rfc3339 reads "2024-03-12T09:14:31.123456+01:00 host tag: msg".
func (r *Reader) rfc3339(s string, ln *logLine) bool {
	sp := strings.IndexByte(s, ' ')
	if sp < 0 {
		return false
	}
	t, clock, ok := parseISO(s[:sp], r.cfg.Location)
	if !ok {
		return false
	}
	ln.t, ln.clock = t, clock
	return r.hostTag(s[sp+1:], ln)
}

func parseISO(s string, loc *time.Location) (time.Time, Clock, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, ClockZoned, true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, loc); err == nil {
		return t, ClockLocal, true
	}
	return time.Time{}, 0, false
}

// rfc5424 reads "TIMESTAMP HOST APP PROCID MSGID SD [MSG]" after "<PRI>1 ".
func (r *Reader) rfc5424(s string, ln *logLine) bool {
	var f [5]string
	for k := range f {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return false
		}
		f[k], s = s[:sp], s[sp+1:]
	}
	t, clock, ok := parseISO(f[0], r.cfg.Location)
	if !ok {
		if f[0] != "-" {
			return false
		}
		t, clock = r.now, ClockZoned
	}
	ln.t, ln.clock = t, clock
	if f[1] != "-" {
		ln.host = f[1]
	}
	if f[2] != "-" {
		ln.prog = f[2]
	}
	if f[3] != "-" {
		ln.pid = f[3]
	}
	// structured data: "-" or one or more [id k="v" ...] elements
	switch {
	case strings.HasPrefix(s, "-"):
		s = s[1:]
	case strings.HasPrefix(s, "["):
		i, quoted := 0, false
	sd:
		for ; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				quoted = !quoted
			case ']':
				if !quoted && (i+1 == len(s) || s[i+1] != '[') {
					i++
					break sd
				}
			}
		}
		s = s[min(i, len(s)):]
	}
	s = strings.TrimPrefix(s, " ")
	s = strings.TrimPrefix(s, "\ufeff")
	ln.msg = s
	ln.kind = kindOf(ln.prog)
	if ln.kind == kindExim {
		r.eximEmbedded(ln)
	}
	return true
}

// hostTag reads "host prog[pid]: msg".
func (r *Reader) hostTag(s string, ln *logLine) bool {
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 {
		return false
	}
	ln.host, s = s[:sp], s[sp+1:]
	colon := strings.Index(s, ": ")
	if colon < 0 {
		if strings.HasSuffix(s, ":") {
			colon = len(s) - 1
		} else {
			ln.msg = s
			return true
		}
	}
	tag := s[:colon]
	if strings.IndexByte(tag, ' ') >= 0 {
		ln.msg = s
		return true
	}
	ln.msg = s[min(colon+2, len(s)):]
	if b := strings.IndexByte(tag, '['); b >= 0 && strings.HasSuffix(tag, "]") {
		ln.prog, ln.pid = tag[:b], tag[b+1:len(tag)-1]
	} else {
		ln.prog = tag
	}
	ln.kind = kindOf(ln.prog)
	if ln.kind == kindExim {
		r.eximEmbedded(ln)
	}
	return true
}

func kindOf(prog string) lineKind {
	switch {
	case strings.HasPrefix(prog, "postfix"):
		return kindPostfix
	case strings.HasPrefix(prog, "exim"):
		return kindExim
	case prog == "sendmail" || strings.HasPrefix(prog, "sm-"):
		return kindSendmail
	}
	return kindNone
}

// eximStamp reads Exim's own "2024-03-12 09:14:31[.123] [+0100] [[pid]] msg".
func (r *Reader) eximStamp(s string, ln *logLine) bool {
	y, mo, d := digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)
	tod := clockAt(s, 11)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || tod < 0 {
		return false
	}
	ns, i := fraction(s, 19)
	loc, clock := r.cfg.Location, ClockLocal
	if i+6 <= len(s) && s[i] == ' ' && (s[i+1] == '+' || s[i+1] == '-') {
		if off := digits(s, i+2, 4); off >= 0 && (i+6 == len(s) || s[i+6] == ' ') {
			sec := (off/100*60 + off%100) * 60
			if s[i+1] == '-' {
				sec = -sec
			}
			loc, clock = time.FixedZone("", sec), ClockZoned
			i += 6
		}
	}
	ln.t = time.Date(y, time.Month(mo), d, 0, 0, tod, ns, loc)
	ln.clock = clock
	ln.kind = kindExim
	ln.prog = "exim"
	s = strings.TrimPrefix(s[i:], " ")
	if strings.HasPrefix(s, "[") {
		if j := strings.IndexByte(s, ']'); j > 1 && digits(s, 1, j-1) >= 0 {
			ln.pid, s = s[1:j], strings.TrimPrefix(s[j+1:], " ")
		}
	}
	ln.msg = s
	return true
}

// eximEmbedded strips the date Exim writes again inside a syslog line.
func (r *Reader) eximEmbedded(ln *logLine) {
	s := ln.msg
	if len(s) >= 20 && s[4] == '-' && s[10] == ' ' && s[13] == ':' && digits(s, 0, 4) >= 0 {
		var inner logLine
		if r.eximStamp(s, &inner) {
			// Exim's own stamp has the year syslog's lacks
			ln.msg, ln.t, ln.clock = inner.msg, inner.t, inner.clock
			if ln.pid == "" {
				ln.pid = inner.pid
			}
		}
	}
}

// stalkerStamp reads "hh:mm:ss[.mmm] LEVEL COMPONENT...".
func (r *Reader) stalkerStamp(s string, ln *logLine) bool {
	tod := clockAt(s, 0)
	ns, i := fraction(s, 8)
	if i+3 > len(s) || s[i] != ' ' || !isDigit(s[i+1]) {
		return false
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != ' ' {
		return false
	}
	if r.lastTOD-tod > 12*3600 {
		r.day = r.day.AddDate(0, 0, 1)
	}
	r.lastTOD = tod
	ln.t = r.day.Add(time.Duration(tod)*time.Second + time.Duration(ns))
	ln.clock = ClockTimeOnly
	ln.kind = kindStalker
	ln.msg = s[j+1:]
	return true
}
