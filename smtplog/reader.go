package smtplog

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"time"
)

// Config sets the reader's limits and how it reads time stamps. Its zero
// value works.
type Config struct {
	// Timeout is how long, in log time, a session may go without a line
	// before it is returned unfinished (a connection whose end is not in
	// the log, a message still queued). Zero means 10 minutes.
	Timeout time.Duration
	// MaxOpen caps the sessions held at once; past it the quietest are
	// returned unfinished. Zero means 100,000.
	MaxOpen int
	// MaxLineBytes cuts longer lines (counted in Stats.Long). Zero means
	// 16 KiB.
	MaxLineBytes int
	// MaxLines caps each of a session's Commands, Notes, Unparsed and
	// Rejections; what is past it is counted in Session.Dropped. Zero
	// means 256.
	MaxLines int
	// MaxUnknown caps Stats.UnknownSample. Zero means 100.
	MaxUnknown int
	// Year is the year of time stamps that do not write one (BSD
	// syslog); it is advanced when the months wrap from December to
	// January. Zero means the current year (Now).
	Year int
	// Location is the time zone of time stamps without an offset. Nil
	// means UTC: the wall clock is kept as written.
	Location *time.Location
	// Date is the day of logs that write only the time of day (Stalker);
	// the day is advanced when the clock wraps past midnight. Zero means
	// 0001-01-01.
	Date time.Time
	// Server names the server when the log does not (Stalker logs have
	// no host field). Empty means the name the server gives itself in
	// its greeting or HELO reply, when it gives one.
	Server string
	// Now returns the current time, for Year's default. Nil means time.Now.
	Now func() time.Time
}

// Stats counts what a Reader has read.
type Stats struct {
	Lines    int64 // lines read
	Blank    int64 // empty lines
	Session  int64 // lines that went into a session
	Server   int64 // lines about the server itself (daemon start, statistics, queue runs)
	Unknown  int64 // lines not understood: in a session's Unparsed, or (the first MaxUnknown) in UnknownSample
	Long     int64 // lines cut at MaxLineBytes
	Sessions int64 // sessions returned
	Flushed  int64 // sessions returned unfinished because of Timeout, MaxOpen or the end of input
	// UnknownSample holds the first not-understood lines that belong to
	// no session, as written.
	UnknownSample []string
}

// key names an open connection: the host, the process or component, and
// the connection's handle within it (a pid, a client address).
type key struct{ host, proc, id string }

// qkey names a queue id on a host.
type qkey struct{ host, qid string }

// Reader reads sessions from a log. It is not safe for concurrent use.
type Reader struct {
	cfg    Config
	lines  lineReader
	err    error
	open   map[key]*Session  // connections still talking
	byQID  map[qkey]*Session // queue id → its session
	live   map[*Session]struct{}
	handed map[netip.Addr]*Session // postscreen sessions passed to smtpd, by client
	// preConnect holds an smtpd warning about the client's name logged
	// just before its "connect from", by process
	preConnect map[key]string
	ready      []*Session
	now        time.Time // the latest log time seen
	swept      time.Time
	stats      Stats
	year       int
	month      time.Month
	day        time.Time // Stalker's current day
	lastTOD    int       // Stalker's last time of day, in seconds
	stamp      stampCache
	cont       contState // what a line without a time stamp continues
	tr         *Session  // the transcript being read
	trSeq      int
	trFrom     string // "errors from NAME[IP]" seen before a transcript
}

// NewReader returns a Reader of r. A nil c means the zero Config.
func NewReader(r io.Reader, c *Config) *Reader {
	var cfg Config
	if c != nil {
		cfg = *c
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 100_000
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = 16 << 10
	}
	if cfg.MaxLines <= 0 {
		cfg.MaxLines = 256
	}
	if cfg.MaxUnknown <= 0 {
		cfg.MaxUnknown = 100
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Year == 0 {
		cfg.Year = cfg.Now().Year()
	}
	rd := &Reader{
		cfg:        cfg,
		open:       make(map[key]*Session),
		byQID:      make(map[qkey]*Session),
		live:       make(map[*Session]struct{}),
		handed:     make(map[netip.Addr]*Session),
		preConnect: make(map[key]string),
		year:       cfg.Year,
	}
	rd.lines = lineReader{r: r, max: cfg.MaxLineBytes}
	if cfg.Date.IsZero() {
		rd.day = time.Date(1, 1, 1, 0, 0, 0, 0, cfg.Location)
	} else {
		y, m, d := cfg.Date.Date()
		rd.day = time.Date(y, m, d, 0, 0, 0, 0, cfg.Location)
	}
	return rd
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next returns the next finished session: one whose connection ended and
// whose messages left the queue, or one returned unfinished (see
// [Config.Timeout]). At the end of input it returns the sessions still
// open, then io.EOF. Sessions come in the order they finished, which is
// not the order they started when connections overlap.
func (r *Reader) Next() (*Session, error) {
	for len(r.ready) == 0 {
		if r.err != nil {
			return nil, r.err
		}
		line, ok, err := r.readLine()
		if ok {
			r.line(line)
		}
		if err != nil {
			r.endTranscript()
			for s := range r.live {
				r.flush(s)
			}
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			r.err = err
		}
	}
	s := r.ready[0]
	r.ready[0] = nil
	r.ready = r.ready[1:]
	r.stats.Sessions++
	return s, nil
}

// readLine returns the next line without its line end, and whether there
// was one; long lines are cut at MaxLineBytes and the rest skipped.
func (r *Reader) readLine() (string, bool, error) {
	line, ok, cut, err := r.lines.next()
	if cut {
		r.stats.Long++
	}
	if ok {
		return line, true, nil
	}
	return "", false, err
}

// line reads one log line.
func (r *Reader) line(s string) {
	r.stats.Lines++
	if strings.TrimSpace(s) == "" {
		r.stats.Blank++
		return
	}
	var ln logLine
	if !r.parsePrefix(s, &ln) {
		r.noStamp(s)
		return
	}
	r.advance(ln.t)
	r.cont = contState{}
	var sess *Session
	switch ln.kind {
	case kindPostfix:
		sess = r.postfix(&ln)
	case kindExim:
		sess = r.exim(&ln)
	case kindSendmail:
		sess = r.sendmail(&ln)
	case kindStalker:
		sess = r.stalker(&ln)
	}
	switch {
	case sess != nil:
		r.stats.Session++
		sess.Lines++
		touch(sess, ln.t)
		if ln.t.After(sess.End) {
			sess.End = ln.t
		}
		r.maybeDone(sess)
	case ln.server:
		r.stats.Server++
	default:
		r.unknown(s)
	}
}

// unknown keeps a line that belongs to no session.
func (r *Reader) unknown(s string) {
	r.stats.Unknown++
	if len(r.stats.UnknownSample) < r.cfg.MaxUnknown {
		// a copy: the sample outlives the sessions, and would hold a
		// whole chunk of the input for each line
		r.stats.UnknownSample = append(r.stats.UnknownSample, strings.Clone(s))
	}
}

// unparsed keeps a line of sess that was not understood.
func (r *Reader) unparsed(sess *Session, s string) {
	r.stats.Unknown++
	if len(sess.Unparsed) < r.cfg.MaxLines {
		sess.Unparsed = append(sess.Unparsed, s)
	} else {
		sess.Dropped++
	}
	r.checkBareLF(sess, s)
}

// note keeps an informational line of sess.
func (r *Reader) note(sess *Session, s string) {
	if len(sess.Notes) < r.cfg.MaxLines {
		sess.Notes = append(sess.Notes, s)
	} else {
		sess.Dropped++
	}
	r.checkBareLF(sess, s)
}

func (r *Reader) checkBareLF(sess *Session, s string) {
	if !strings.Contains(s, "bare") && !strings.Contains(s, "BARE") && !strings.Contains(s, "Bare") {
		return
	}
	if containsFold(s, "bare <lf>") || containsFold(s, "bare newline") || containsFold(s, "bare lf") || containsFold(s, "bare linefeed") {
		sess.addAnomaly(AnomalyBareLF)
	}
}

func (r *Reader) addCommand(sess *Session, c Command) *Command {
	if len(sess.Commands) >= r.cfg.MaxLines {
		sess.Dropped++
		return nil
	}
	sess.Commands = append(sess.Commands, c)
	return &sess.Commands[len(sess.Commands)-1]
}

func (r *Reader) addRejection(sess *Session, rj Rejection) {
	if rj.Blocklist != "" {
		sess.addAnomaly(AnomalyBlocklisted)
	}
	if len(sess.Rejections) >= r.cfg.MaxLines {
		sess.Dropped++
		return
	}
	sess.Rejections = append(sess.Rejections, rj)
}

// newSession starts a connection under k, returning an older one under
// the same key unfinished.
func (r *Reader) newSession(k key, f Format, t time.Time, clock Clock) *Session {
	if old := r.open[k]; old != nil {
		delete(r.open, k)
		old.conn = false // its end was not logged
		r.maybeDone(old)
	}
	s := &Session{Format: f, Server: k.host, Start: t, End: t, Clock: clock, key: k, conn: true, seen: t, max: r.cfg.MaxLines}
	if s.Server == "" {
		s.Server = r.cfg.Server
	}
	r.open[k] = s
	r.live[s] = struct{}{}
	if len(r.live) > r.cfg.MaxOpen {
		r.shed()
	}
	return s
}

// orphan starts a session for a queue id whose connection is not in the
// log (local submission, or a log that starts after the connection).
func (r *Reader) orphan(host, qid string, f Format, t time.Time, clock Clock) *Session {
	s := &Session{Format: f, Server: host, ID: qid, Start: t, End: t, Clock: clock, seen: t, max: r.cfg.MaxLines}
	r.live[s] = struct{}{}
	r.bindQID(s, host, qid)
	if len(r.live) > r.cfg.MaxOpen {
		r.shed()
	}
	return s
}

func (r *Reader) bindQID(s *Session, host, qid string) *Message {
	m := s.message(qid)
	k := qkey{host, qid}
	if m == &s.spare || r.byQID[k] == s {
		return m
	}
	if old := r.byQID[k]; old != nil {
		old.unbind(k)
	}
	r.byQID[k] = s
	s.qids = append(s.qids, k)
	return m
}

func (s *Session) unbind(k qkey) {
	for i, x := range s.qids {
		if x == k {
			s.qids = append(s.qids[:i], s.qids[i+1:]...)
			return
		}
	}
}

// closeConn marks the end of sess's connection.
func (r *Reader) closeConn(sess *Session) {
	sess.Closed = true
	sess.conn = false
	if r.open[sess.key] == sess {
		delete(r.open, sess.key)
	}
}

// maybeDone returns sess when its connection has ended and its messages
// have left the queue.
func (r *Reader) maybeDone(sess *Session) {
	if sess.emitted {
		return
	}
	for i := range sess.Messages {
		if !sess.Messages[i].Done {
			return
		}
	}
	if sess.conn && sess.soft && len(sess.Messages) > 0 {
		// the end of the connection is not logged: it ends with its
		// messages (Closed stays false)
		sess.conn = false
		if r.open[sess.key] == sess {
			delete(r.open, sess.key)
		}
	}
	if sess.conn {
		return
	}
	r.finish(sess)
}

func (r *Reader) finish(sess *Session) {
	if sess.emitted {
		return
	}
	sess.emitted = true
	if r.open[sess.key] == sess {
		delete(r.open, sess.key)
	}
	for _, k := range sess.qids {
		if r.byQID[k] == sess {
			delete(r.byQID, k)
		}
	}
	sess.qids = nil
	delete(r.live, sess)
	if r.handed[sess.Client] == sess {
		delete(r.handed, sess.Client)
	}
	if r.tr == sess {
		r.tr = nil
	}
	r.ready = append(r.ready, sess)
}

// flush returns sess unfinished.
func (r *Reader) flush(sess *Session) {
	if sess.emitted {
		return
	}
	r.stats.Flushed++
	r.finish(sess)
}

// advance moves the log clock and returns the sessions that went quiet.
func (r *Reader) advance(t time.Time) {
	if !t.After(r.now) {
		return
	}
	r.now = t
	if r.swept.IsZero() {
		r.swept = t
		return
	}
	if t.Sub(r.swept) < r.cfg.Timeout/4 {
		return
	}
	r.swept = t
	limit := t.Add(-r.cfg.Timeout)
	for s := range r.live {
		if s.seen.Before(limit) {
			r.flush(s)
		}
	}
}

// shed returns the quietest sessions unfinished until the cap holds.
func (r *Reader) shed() {
	for d := r.cfg.Timeout / 2; len(r.live) > r.cfg.MaxOpen*7/8; d /= 2 {
		limit := r.now.Add(-d)
		for s := range r.live {
			if !s.seen.After(limit) || d < time.Second {
				r.flush(s)
				if len(r.live) <= r.cfg.MaxOpen*7/8 {
					return
				}
			}
		}
	}
}

// touch records activity on sess at t.
func touch(sess *Session, t time.Time) {
	if t.After(sess.seen) {
		sess.seen = t
	}
}
