// Command spamtrace traces where e-mail really came from: it parses the
// Received headers of each message, finds the origin and the forged hops,
// and prints a report.
//
// Usage:
//
//	spamtrace [flags] PATH... [flags]
//
// PATH is a message file, a directory (searched recursively), an mbox file,
// a Maildir folder, or "-" for standard input. Flags may come before or
// after the paths; "--" ends them.
//
// Exit status: 0 when the run is done; 1 when -fail-on is set and some
// finding reaches that severity; 2 on a usage error or when an input could
// not be read.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/smtplog"
	"github.com/spamtrace/spamtrace/trace"
)

func main() {
	// A bulk run allocates a lot of short-lived header data and keeps
	// little: collect less often.
	debug.SetGCPercent(400)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	format   string
	summary  bool
	failOn   trace.Severity
	failSet  bool
	workers  int
	color    bool           // stdout is a terminal (and NO_COLOR is not set)
	ttyOut   bool           // stdout is a terminal
	progress bool           // stderr is a terminal
	arfMbox  bool           // ARF reports go out as an mbox (several inputs)
	outDir   string         // -out: one .eml file per ARF report
	logs     *smtplog.Index // -log: sessions of the receiving servers' logs; nil without
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, `usage: spamtrace [flags] PATH... [flags]
       spamtrace whois [-json] [-whois-server HOST:PORT] [-rdap-server URL] IP...
       spamtrace -version
       spamtrace log [-json] [-year YYYY] [-server NAME] FILE...
       spamtrace serve [-listen 127.0.0.1:8025] [flags]
       spamtrace enqueue -redis URL -stream IN PATH...
       spamtrace worker -redis URL -stream IN -group G [-results OUT] [flags]

PATH is a message file, a directory (recursive), an mbox file, a Maildir
folder, or - for standard input. Flags may follow the paths; -- ends them.

Exit status: 0 done; 1 a finding reached -fail-on; 2 usage or I/O error.
spamtrace whois: 0 every lookup found its network; 1 some failed; 2 usage.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("spamtrace", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		jsonOut = fs.Bool("json", false, "print JSON Lines, one object per message (same as -format json)")
		format  = fs.String("format", "", "output format: text, json, dot, arf or html (default text)")
		summary = fs.Bool("summary", false, "print counts, top origins and finding counts at the end (on stderr for json)")
		version = fs.Bool("version", false, "print the version and exit")
		failOn  string
		workers = runtime.NumCPU()
		cpuProf = fs.String("cpuprofile", "", "write a CPU profile to this file (for measuring the tool itself)")
		outDir  = fs.String("out", "", "write each abuse report to a .eml file of its own in this `directory` (implies -format arf)")
	)
	fs.Var(checked(&failOn, checkOneOf("info", "low", "medium", "high")), "fail-on", "exit 1 when a finding reaches this `severity`: info, low, medium or high")
	fs.Var(atLeast(&workers, 1), "workers", "`N` messages traced in parallel")
	logFiles := listFlag{check: checkFile}
	fs.Var(&logFiles, "log", "an MTA log `file` (Postfix, Exim, sendmail, CommuniGate; .gz and rotated files read) to check the hops its server wrote against; repeatable")
	tf := addTracerFlags(fs)
	lookups := tf.lookups
	paths, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, stdout)
			return 0
		}
		fmt.Fprintln(stderr, "spamtrace:", err)
		fmt.Fprintln(stderr, "usage: spamtrace [flags] PATH... (spamtrace -help lists the flags)")
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	opt := options{format: *format, summary: *summary, workers: workers}
	if *jsonOut {
		if opt.format != "" && opt.format != "json" {
			fmt.Fprintln(stderr, "spamtrace: -json conflicts with -format", opt.format)
			return 2
		}
		opt.format = "json"
	}
	if code := setOut(&opt, *outDir, stderr); code != 0 {
		return code
	}
	switch opt.format {
	case "":
		opt.format = "text"
	case "text", "json", "dot", "arf", "html":
	default:
		fmt.Fprintf(stderr, "spamtrace: unknown -format %q (want text, json, dot, arf or html)\n", opt.format)
		return 2
	}
	if failOn != "" {
		opt.failOn, _ = trace.ParseSeverity(failOn)
		opt.failSet = true
	}
	if len(logFiles.vals) > 0 {
		x, err := loadLogIndex(ctx, logFiles.vals)
		if err != nil {
			fmt.Fprintln(stderr, "spamtrace: -log:", err)
			return 2
		}
		opt.logs = x
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "spamtrace: no input: give message files, directories, mboxes, Maildirs or -")
		usage(fs, stderr)
		return 2
	}
	opt.arfMbox = severalInputs(paths)
	if err := lookups.check(); err != nil {
		fmt.Fprintln(stderr, "spamtrace:", err)
		return 2
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fmt.Fprintln(stderr, "spamtrace: -cpuprofile:", err)
			return 2
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	tracer, closeLookups, err := tf.tracer(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace:", err)
		return 2
	}
	if lookups.network && opt.workers < 16 {
		// lookups wait on the network, not the CPU
		opt.workers = 16
	}
	defer closeLookups()
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opt.ttyOut = true
		opt.color = os.Getenv("NO_COLOR") == ""
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opt.progress = true
	}
	return bulk(ctx, tracer, paths, stdin, stdout, stderr, &opt, lookups)
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// job is a few input files on their way through the worker pool: a worker
// reads each (one message, or every message of an mbox), traces what it
// holds and encodes the results in the chosen format, so reading, tracing
// and encoding all use the cores. The output loop only writes the bytes
// in input order. Handing over several small files at a time keeps the
// goroutines from waking each other for every file (see pace).
//
// The encoded output travels in chunks, closed when the job is done: the
// job at the head of the order is written as it is traced, and a large
// mbox neither grows one huge buffer nor holds more than maxChunks of
// output while it waits for the files before it.
type job struct {
	inputs  []input
	out     *[]byte      // the chunk being filled, from the buffer list
	chunks  chan *[]byte // full chunks, in order; closed when the job is done
	sum     *summary     // the job's share of -summary (nil without it)
	notes   []notRead    // files not read, for stderr and -summary
	msgs    int          // messages in the files
	readErr bool         // some message could not be read at all
	html    []htmlEntry  // -format html: the index rows of the job's messages
	failed  bool         // some finding reached -fail-on
}

const (
	chunkBytes = 48 << 10 // a chunk is handed on once it holds this much
	maxChunks  = 64       // chunks a job may hold before the output reaches it
)

func newJob() *job { return &job{chunks: make(chan *[]byte, maxChunks)} }

type input struct {
	path string
	err  error // the path could not be listed, or the walk skipped it
	size int64 // bytes, for progress (0 when progress is off)
	// again counts the earlier times the run named this path (html:
	// each reading gets a section id of its own)
	again int
}

// notRead is a file the run did not trace: skipped by the walk (a fifo, a
// dangling link) or unreadable. Each is named on stderr and counted in
// -summary.
type notRead struct {
	path   string
	reason string // the -summary key: "a named pipe (fifo)", "permission denied", ...
	err    error
}

func (n notRead) String() string {
	var se *mailbox.SkippedError
	if errors.As(n.err, &se) {
		return "spamtrace: skipped " + n.path + ": " + strings.TrimPrefix(se.Error(), "mailbox: skipped "+n.path+": ")
	}
	return "spamtrace: not read: " + n.err.Error()
}

// notReadOf describes why a file could not be read at all.
func notReadOf(path string, err error) notRead {
	reason := "read error"
	var se *mailbox.SkippedError
	switch {
	case errors.As(err, &se):
		reason = se.Reason
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such file"
	}
	return notRead{path: path, reason: reason, err: err}
}

// pace sizes the jobs from how long files have taken so far: small, quick
// files (a directory of messages) go several to a job, while slow ones (a
// large mbox, a run with network lookups) go one to a job so they spread
// over the workers. Until a file is done, jobs hold one file.
type pace struct {
	files, nanos atomic.Int64
}

const (
	jobTarget = 300 * time.Microsecond // a job's work worth one hand-over
	maxBatch  = 8
)

func (p *pace) add(d time.Duration) {
	p.nanos.Add(int64(d))
	p.files.Add(1)
}

func (p *pace) batch() int {
	n := p.files.Load()
	if n == 0 {
		return 1
	}
	per := time.Duration(p.nanos.Load() / n)
	if per <= 0 || per*maxBatch <= jobTarget {
		return maxBatch
	}
	return max(1, int(jobTarget/per))
}

// bufferList keeps the jobs' output buffers for reuse. Unlike a
// sync.Pool it survives garbage collections: a buffer that has grown to
// fit a job's records is never dropped and regrown (each fresh page costs
// a page fault). One that grew past maxPooledOut (a large mbox) is let go.
type bufferList chan *[]byte

const maxPooledOut = 1 << 20

func (l bufferList) get() *[]byte {
	select {
	case b := <-l:
		return b
	default:
		b := make([]byte, 0, 64<<10)
		return &b
	}
}

func (l bufferList) put(b *[]byte) {
	if cap(*b) > maxPooledOut {
		return
	}
	*b = (*b)[:0]
	select {
	case l <- b:
	default:
	}
}

// byteSink lets the text, DOT and ARF writers append to a job's buffer.
type byteSink struct{ b *[]byte }

func (s byteSink) Write(p []byte) (int, error) {
	*s.b = append(*s.b, p...)
	return len(p), nil
}

// bulk traces every message of the inputs with a pool of workers and
// prints the results in input order.
func bulk(ctx context.Context, tracer *trace.Tracer, paths []string, stdin io.Reader, stdout, stderr io.Writer, opt *options, lk *lookupFlags) int {
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	// A few jobs ahead are enough to keep the workers busy; more would
	// only hold more finished output waiting for a slow file before it.
	jobs := make(chan *job, opt.workers)
	ordered := make(chan *job, opt.workers*4)
	var pc pace
	// enough for the chunks of the jobs in flight at their usual size
	bufs := make(bufferList, 2*(cap(jobs)+cap(ordered)+opt.workers+1))
	// Data is only read while the worker traces and encodes it. Bodies
	// are read for the attached messages and the URLs.
	mopt := &mailbox.Options{Borrow: true}
	lookupJS := lk.lookupJSON()
	html := newHTMLRun(opt.format, out)
	progress := newProgress(stderr, opt.progress)
	var wg sync.WaitGroup
	for w := 0; w < opt.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.out = bufs.get()
				work(ctx, tracer, j, stdin, mopt, opt, lookupJS, &pc, bufs, progress)
				if len(*j.out) > 0 {
					j.chunks <- j.out
				} else {
					bufs.put(j.out)
				}
				j.out = nil
				close(j.chunks)
			}
		}()
	}
	go func() {
		j := newJob()
		send := func() {
			ordered <- j
			jobs <- j
			j = newJob()
		}
		var named map[string]int // html: the times each path was named
		if opt.format == "html" {
			named = map[string]int{}
		}
		mailbox.Paths(paths, func(path string, err error) bool {
			if ctx.Err() != nil {
				return false
			}
			in := input{path: path, err: err}
			if named != nil {
				in.again = named[path]
				named[path]++
			}
			if opt.progress && err == nil {
				if st, err := os.Stat(path); err == nil && path != "-" {
					in.size = st.Size() // standard input adds a file, no bytes
				}
				progress.found(in.size)
			}
			j.inputs = append(j.inputs, in)
			if len(j.inputs) >= pc.batch() {
				send()
			}
			return true
		})
		progress.walkDone()
		if len(j.inputs) > 0 {
			send()
		}
		close(jobs)
		close(ordered)
	}()
	var (
		sum     summary
		failed  bool
		readErr bool
	)
	for j := range ordered {
		for c := range j.chunks {
			if opt.ttyOut {
				// the report and the bar share the terminal
				progress.pause(func() { out.Write(*c); out.Flush() })
			} else if len(*c) >= chunkBytes {
				// a full chunk goes out as it is, not copied into out
				out.Flush()
				stdout.Write(*c)
			} else {
				out.Write(*c)
			}
			bufs.put(c)
		}
		readErr = readErr || j.readErr
		failed = failed || j.failed
		if j.sum != nil {
			sum.merge(j.sum)
		}
		html.add(j.html)
		if len(j.notes) > 0 {
			out.Flush()
			progress.pause(func() {
				for _, n := range j.notes {
					fmt.Fprintln(stderr, n)
				}
			})
			for _, n := range j.notes {
				sum.notRead(n.reason)
			}
		}
	}
	wg.Wait()
	progress.finish()
	html.end(out)
	if opt.summary {
		w := io.Writer(out)
		if opt.format == "json" || opt.format == "html" {
			out.Flush()
			w = stderr
		}
		sum.write(w)
	}
	out.Flush()
	switch {
	case readErr:
		return 2
	case failed:
		return 1
	}
	return 0
}

// work reads, traces and encodes the messages of a job's files.
func work(ctx context.Context, tracer *trace.Tracer, j *job, stdin io.Reader, mopt *mailbox.Options, opt *options, lookupJS func([]byte, *trace.Lookup) []byte, pc *pace, bufs bufferList, progress *progress) {
	emit := func(r *record) {
		j.msgs++
		if r.err != nil && r.tr == nil && r.part == "" {
			j.readErr = true // an attached message that cannot be read is reported, not an input error
			var pe *fs.PathError
			if r.position == 0 && errors.As(r.err, &pe) {
				// the file itself could not be read (not a header
				// without fields, which has its record)
				j.notes = append(j.notes, notReadOf(r.file, r.err))
			}
		}
		if opt.failSet && r.tr != nil {
			for _, f := range r.tr.Findings {
				if f.Severity >= opt.failOn {
					j.failed = true
				}
			}
		}
		switch opt.format {
		case "json":
			b := appendRecord(*j.out, r, lookupJS)
			*j.out = append(b, '\n')
		case "text":
			writeText(byteSink{j.out}, r, opt.color)
		case "dot":
			writeDOT(byteSink{j.out}, r)
		case "arf":
			if !writeReports(byteSink{j.out}, r, opt) {
				j.readErr = true
			}
		case "html":
			j.html = append(j.html, writeHTMLMessage(byteSink{j.out}, r))
		}
		if opt.summary {
			if j.sum == nil {
				j.sum = new(summary)
			}
			j.sum.add(r)
		}
		if len(*j.out) >= chunkBytes {
			j.chunks <- j.out
			j.out = bufs.get()
		}
	}
	for _, in := range j.inputs {
		var skipped *mailbox.SkippedError
		if errors.As(in.err, &skipped) {
			j.notes = append(j.notes, notReadOf(in.path, in.err))
			continue
		}
		if in.err != nil {
			emit(&record{file: in.path, err: in.err, again: in.again})
			continue
		}
		start := time.Now()
		var credited int64 // bytes of the file counted as read
		mailbox.ReadPath(in.path, stdin, mopt, func(m mailbox.Message) bool {
			recs := traceAll(ctx, tracer, &m)
			frame := opt.arfMbox || m.Position > 0 || reportCount(recs) > 1
			for i := range recs {
				recs[i].frame = frame
				recs[i].again = in.again
				applyLog(recs[i].tr, opt.logs)
				emit(&recs[i])
			}
			if end := min(m.End, in.size); end > credited {
				progress.read(end - credited)
				credited = end
			}
			return ctx.Err() == nil
		})
		progress.read(in.size - credited)
		progress.fileDone()
		pc.add(time.Since(start))
	}
}

func traceOne(ctx context.Context, tracer *trace.Tracer, m *mailbox.Message) record {
	r := record{file: m.File, position: m.Position}
	if m.Err != nil && m.Data == nil {
		r.err = m.Err
		return r
	}
	tr, err := tracer.TraceBytes(ctx, m.Data)
	r.tr = tr
	if err != nil {
		r.err = err
	} else if m.Err != nil {
		r.err = m.Err
	}
	return r
}
