package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/jsonstr"
	"github.com/spamtrace/spamtrace/received"
	"github.com/spamtrace/spamtrace/smtplog"
	"github.com/spamtrace/spamtrace/trace"
)

// runLog implements "spamtrace log [-json] FILE...": the sessions of MTA
// logs (rotated and gzip files read oldest first as one stream), as text
// or JSON Lines. Counts go to stderr. Exit status 0, or 2 on a usage or
// read error.
func runLog(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace log", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.Bool("json", false, `print JSON Lines, one {"version":1,"session":{...}} object per session`)
	year := fs.Int("year", 0, "year of syslog time stamps that lack one (default: this year)")
	server := fs.String("server", "", "the server's name when the log does not say (Stalker logs)")
	const use = "usage: spamtrace log [-json] [-year YYYY] [-server NAME] FILE..."
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "spamtrace log:", err)
		fmt.Fprintln(stderr, use)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, use)
		return 2
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	cfg := &smtplog.Config{Year: *year, Server: *server}
	st, err := readLogs(ctx, fs.Args(), cfg, func(s *smtplog.Session) {
		if *jsonOut {
			b := append([]byte(`{"version":`), strconv.Itoa(schemaVersion)...)
			b = append(b, `,"session":`...)
			b = appendSession(b, s)
			out.Write(append(b, '}', '\n'))
			return
		}
		writeSessionText(out, s)
	})
	out.Flush()
	fmt.Fprintf(stderr, "spamtrace log: %d lines, %d sessions (%d unfinished), %d lines about the servers, %d blank, %d not understood\n",
		st.Lines, st.Sessions, st.Flushed, st.Server, st.Blank, st.Unknown)
	for _, l := range st.UnknownSample[:min(5, len(st.UnknownSample))] {
		fmt.Fprintf(stderr, "  not understood: %s\n", sanitize(l, 200))
	}
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace log:", err)
		return 2
	}
	return 0
}

// readLogs reads the sessions of files, sorted oldest first.
func readLogs(ctx context.Context, files []string, cfg *smtplog.Config, fn func(*smtplog.Session)) (smtplog.Stats, error) {
	names := append([]string(nil), files...)
	smtplog.SortRotated(names)
	f := smtplog.OpenFiles(names)
	defer f.Close()
	r := smtplog.NewReader(f, cfg)
	for ctx.Err() == nil {
		s, err := r.Next()
		if err == io.EOF {
			return r.Stats(), nil
		}
		if err != nil {
			return r.Stats(), err
		}
		fn(s)
	}
	return r.Stats(), ctx.Err()
}

// loadLogIndex reads the -log files into an index for the trace.
func loadLogIndex(ctx context.Context, files []string) (*smtplog.Index, error) {
	x := smtplog.NewIndex(nil)
	_, err := readLogs(ctx, files, nil, x.Add)
	return x, err
}

// applyLog adds a finding for each hop a -log file speaks of: the log
// confirms the hop (log-confirms, info), contradicts its address, HELO,
// envelope or queue id (log-contradicts, high), or covers its time but
// has no session for it (log-contradicts, medium).
func applyLog(tr *trace.Trace, x *smtplog.Index) {
	if tr == nil || x == nil || len(tr.Hops) == 0 {
		return
	}
	hops := make([]received.Hop, len(tr.Hops))
	for i := range tr.Hops {
		hops[i] = tr.Hops[i].Received
	}
	for _, v := range smtplog.Correlate(hops, x) {
		tr.Findings = append(tr.Findings, logFinding(&v, tr.Hops[v.Hop].Received.Raw))
	}
	sortByHop(tr.Findings)
}

func logFinding(v *smtplog.Verdict, raw string) trace.Finding {
	f := trace.Finding{Hop: v.Hop, Evidence: raw}
	if v.Session == nil {
		f.Rule, f.Category, f.Severity = "log-no-session", trace.CategoryLogContradicts, trace.SeverityMedium
		f.Message = "the server's log covers this hop's date but has no session with its queue id or from its client"
		if v.Nearby > 0 {
			f.Message = fmt.Sprintf("the server's log has no session with this hop's queue id; %d session(s) from its client at that time carry other queue ids", v.Nearby)
		}
		return f
	}
	s := v.Session
	var agree, disagree []string
	for _, c := range v.Checks {
		if c.Agree {
			agree = append(agree, c.Field+" "+c.Log)
		} else {
			disagree = append(disagree, fmt.Sprintf("%s: header %q, log %q", c.Field, c.Hop, c.Log))
		}
	}
	where := fmt.Sprintf("%s session %s on %s at %s (found by %s)", s.Format, s.ID, s.Server, s.Start.Format(time.DateTime), v.By)
	if v.Contradicts() {
		f.Rule, f.Category, f.Severity = "log-contradicts", trace.CategoryLogContradicts, trace.SeverityHigh
		f.Message = "the server's log contradicts this hop: " + strings.Join(disagree, "; ") + "; " + where
		return f
	}
	f.Rule, f.Category, f.Severity = "log-confirms", trace.CategoryLogConfirms, trace.SeverityInfo
	f.Message = "the server's log confirms this hop (" + strings.Join(agree, ", ") + ")"
	if len(disagree) > 0 {
		f.Message += "; differs: " + strings.Join(disagree, "; ")
	}
	f.Message += "; " + where
	return f
}

// sortByHop keeps trace's order: message-level findings first, then hop
// order, then severity, highest first.
func sortByHop(fs []trace.Finding) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && (fs[j].Hop < fs[j-1].Hop || fs[j].Hop == fs[j-1].Hop && fs[j].Severity > fs[j-1].Severity); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func writeSessionText(w io.Writer, s *smtplog.Session) {
	end := "closed"
	if !s.Closed {
		end = "end not logged"
	}
	start := s.Start.Format(time.DateTime)
	switch {
	case s.Start.IsZero():
		start = "time not logged"
	case s.Clock == smtplog.ClockTimeOnly:
		start = s.Start.Format(time.TimeOnly)
	case s.Clock == smtplog.ClockZoned:
		start = s.Start.Format("2006-01-02 15:04:05 -0700")
	}
	fmt.Fprintf(w, "session %s %s on %s, %s – %s (%s)\n", s.Format, sanitize(s.ID, 80), sanitize(s.Server, 80),
		start, s.End.Format(time.TimeOnly), end)
	if s.Client.IsValid() {
		port := ""
		if s.ClientPort != 0 {
			port = ":" + strconv.Itoa(int(s.ClientPort))
		}
		name := sanitize(s.ClientName, 120)
		if name != "" {
			name += " "
		}
		fmt.Fprintf(w, "  client   %s[%s]%s\n", name, s.Client, port)
	}
	if s.HELO != "" {
		v := ""
		if s.Verified != smtplog.VerifyUnknown {
			v = " (verified: " + s.Verified.String() + ")"
		}
		fmt.Fprintf(w, "  helo     %s%s\n", sanitize(s.HELO, 120), v)
	}
	if s.Protocol != "" {
		fmt.Fprintf(w, "  protocol %s\n", sanitize(s.Protocol, 40))
	}
	if s.MailFrom != "" {
		fmt.Fprintf(w, "  from     <%s>\n", sanitize(s.MailFrom, 200))
	}
	for _, r := range s.RcptTo {
		fmt.Fprintf(w, "  rcpt     <%s>\n", sanitize(r, 200))
	}
	for _, m := range s.Messages {
		fmt.Fprintf(w, "  message  %s", sanitize(m.QueueID, 40))
		if m.MessageID != "" {
			fmt.Fprintf(w, " message-id=%s", sanitize(m.MessageID, 200))
		}
		if m.Size > 0 {
			fmt.Fprintf(w, " size=%d", m.Size)
		}
		if m.From != "" {
			fmt.Fprintf(w, " from=<%s>", sanitize(m.From, 200))
		}
		for _, t := range m.To {
			fmt.Fprintf(w, " to=<%s>", sanitize(t, 200))
		}
		if m.Status != "" {
			fmt.Fprintf(w, " status=%s", sanitize(m.Status, 40))
		}
		fmt.Fprintln(w)
	}
	for _, r := range s.Rejections {
		fmt.Fprintf(w, "  reject   %s %s", r.Stage, sanitize(r.Reply, 300))
		if r.Blocklist != "" {
			fmt.Fprintf(w, " [blocklist %s]", sanitize(r.Blocklist, 100))
		}
		fmt.Fprintln(w)
	}
	if len(s.Anomalies) > 0 {
		names := make([]string, len(s.Anomalies))
		for i, a := range s.Anomalies {
			names[i] = string(a)
		}
		fmt.Fprintf(w, "  anomaly  %s\n", strings.Join(names, ", "))
	}
	if s.Banner != "" {
		fmt.Fprintf(w, "  < %s\n", sanitize(s.Banner, 300))
	}
	for _, c := range s.Commands {
		fmt.Fprintf(w, "  > %s\n", sanitize(c.Line, 300))
		for _, r := range strings.Split(c.Reply, "\n") {
			if r != "" {
				fmt.Fprintf(w, "  < %s\n", sanitize(r, 300))
			}
		}
	}
	if n := len(s.Unparsed); n > 0 {
		fmt.Fprintf(w, "  %d lines not understood, first: %s\n", n, sanitize(s.Unparsed[0], 200))
	}
	fmt.Fprintln(w)
}

// appendSession writes a session as the "session" object of
// docs/json-schema.md.
func appendSession(b []byte, s *smtplog.Session) []byte {
	str := func(first bool, k, v string) {
		b = appendKey(b, first, k)
		b = jsonstr.Append(b, v)
	}
	strs := func(k string, vs []string) {
		b = appendKey(b, false, k)
		b = append(b, '[')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, '{')
	str(true, "format", s.Format.String())
	str(false, "server", s.Server)
	str(false, "id", s.ID)
	b = appendKey(b, false, "client")
	b = appendAddr(b, s.Client)
	b = appendKey(b, false, "client_port")
	b = strconv.AppendInt(b, int64(s.ClientPort), 10)
	str(false, "client_name", s.ClientName)
	str(false, "helo", s.HELO)
	str(false, "helo_verified", s.Verified.String())
	str(false, "protocol", s.Protocol)
	str(false, "mail_from", s.MailFrom)
	strs("rcpt_to", s.RcptTo)
	str(false, "banner", s.Banner)
	b = appendKey(b, false, "commands")
	b = append(b, '[')
	for i, c := range s.Commands {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, true, "time")
		b = appendTime(b, c.Time)
		str(false, "verb", c.Verb)
		str(false, "line", c.Line)
		str(false, "reply", c.Reply)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendKey(b, false, "messages")
	b = append(b, '[')
	for i, m := range s.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		str(true, "queue_id", m.QueueID)
		str(false, "message_id", m.MessageID)
		str(false, "from", m.From)
		strs("to", m.To)
		b = appendKey(b, false, "size")
		b = strconv.AppendInt(b, m.Size, 10)
		str(false, "status", m.Status)
		b = appendKey(b, false, "done")
		b = strconv.AppendBool(b, m.Done)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendKey(b, false, "rejections")
	b = append(b, '[')
	for i, r := range s.Rejections {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, true, "time")
		b = appendTime(b, r.Time)
		str(false, "stage", r.Stage)
		str(false, "code", r.Code)
		str(false, "enhanced", r.Enhanced)
		str(false, "reply", r.Reply)
		str(false, "blocklist", r.Blocklist)
		str(false, "recipient", r.Recipient)
		b = append(b, '}')
	}
	b = append(b, ']')
	an := make([]string, len(s.Anomalies))
	for i, a := range s.Anomalies {
		an[i] = string(a)
	}
	strs("anomalies", an)
	b = appendKey(b, false, "start")
	b = appendTime(b, s.Start)
	b = appendKey(b, false, "end")
	b = appendTime(b, s.End)
	str(false, "clock", s.Clock.String())
	b = appendKey(b, false, "closed")
	b = strconv.AppendBool(b, s.Closed)
	strs("notes", s.Notes)
	strs("unparsed", s.Unparsed)
	b = appendKey(b, false, "lines")
	b = strconv.AppendInt(b, int64(s.Lines), 10)
	b = appendKey(b, false, "dropped")
	b = strconv.AppendInt(b, int64(s.Dropped), 10)
	return append(b, '}')
}
