package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/trace"
)

// spamtrace serve: a page on the analyst's own machine to paste a header
// into (or upload a message file) and read the report, and POST /api/trace
// for programs. Nothing is kept between requests and nothing is sent
// anywhere, unless the server was started with -resolve.

const (
	defaultListen     = "127.0.0.1:8025"
	defaultMaxBytes   = 4 << 20
	defaultTimeout    = 30 * time.Second
	defaultConcurrent = 4
)

// serveConfig is what a server needs. Its zero value works with the
// offline tracer.
type serveConfig struct {
	// Tracer traces each message; nil means the zero trace.Tracer.
	Tracer *trace.Tracer
	// LookupJSON encodes a hop's lookups in /api/trace answers; nil
	// leaves them out, as the command does without -resolve.
	LookupJSON func([]byte, *trace.Lookup) []byte
	// MaxBytes caps a request body; default 4 MiB. A larger request gets
	// 413.
	MaxBytes int64
	// Timeout caps the time a request may take, waiting for its turn
	// included; default 30 s.
	Timeout time.Duration
	// Concurrent is how many requests are read and traced at once (the
	// others wait); default 4. Memory in use is about Concurrent times
	// MaxBytes at most, whatever the number of connections.
	Concurrent int
	// AnyHost accepts any Host header. Without it only localhost,
	// 127.0.0.1 and [::1] are accepted, so a web page cannot reach a
	// loopback server through a DNS name of its own (DNS rebinding).
	AnyHost bool
}

type server struct {
	cfg serveConfig
	sem chan struct{}
	// requests waiting for a slot and holding one, and the most ever held
	// at once (the tests read them)
	waiting, busy, peakBusy atomic.Int32
	csp                     string // the page's policy, as sent in the header
	doc                     *htmlDoc
}

func newServer(cfg serveConfig) *server {
	if cfg.Tracer == nil {
		cfg.Tracer = &trace.Tracer{}
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = defaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Concurrent <= 0 {
		cfg.Concurrent = defaultConcurrent
	}
	// The page loads nothing but its own inlined style sheet, and its
	// form posts only to itself.
	policy := "default-src 'none'; style-src " + styleHash + "; form-action 'self'; base-uri 'none'"
	doc := newHTMLDoc("spamtrace")
	doc.CSP = policy
	return &server{cfg: cfg, sem: make(chan struct{}, cfg.Concurrent), csp: policy + "; frame-ancestors 'none'", doc: doc}
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("POST /{$}", s.serveForm)
	mux.HandleFunc("POST /api/trace", s.serveAPI)
	return s.guard(http.NewCrossOriginProtection().Handler(mux))
}

// guard sets the security headers of every answer and refuses foreign
// Host names.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !s.cfg.AnyHost && !loopbackHost(r.Host) {
			http.Error(w, "spamtrace: this server answers only to localhost, 127.0.0.1 and [::1]", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// deadline caps the request's time: its context ends after Timeout, and
// so does reading its body (a client that sends slowly cannot hold a slot
// longer). The connection's deadlines are set here, not only in the
// http.Server, so the cap holds whatever server runs the handler.
func (s *server) deadline(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	end := time.Now().Add(s.cfg.Timeout)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(end)
	rc.SetWriteDeadline(end.Add(5 * time.Second))
	return context.WithDeadline(r.Context(), end)
}

// turn waits for one of the Concurrent slots; false when the request's
// time ran out first.
func (s *server) turn(ctx context.Context) bool {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case s.sem <- struct{}{}:
		n := s.busy.Add(1)
		for {
			p := s.peakBusy.Load()
			if n <= p || s.peakBusy.CompareAndSwap(p, n) {
				break
			}
		}
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *server) done() {
	s.busy.Add(-1)
	<-s.sem
}

// traceAll traces every message of data (one message, or an mbox) and the
// messages attached to each, as the command traces standard input.
func (s *server) traceAll(ctx context.Context, name string, data []byte) []record {
	var out []record
	mailbox.ReadPath("-", bytes.NewReader(data), &mailbox.Options{}, func(m mailbox.Message) bool {
		for _, r := range traceAll(ctx, s.cfg.Tracer, &m) {
			r.file = name
			out = append(out, r)
		}
		return ctx.Err() == nil
	})
	return out
}

// serveAPI answers POST /api/trace: the body is a raw message (or an
// mbox), the answer exactly what "spamtrace -json -" prints for it: one
// JSON object a message, each on its own line.
func (s *server) serveAPI(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.deadline(w, r)
	defer cancel()
	if !s.turn(ctx) {
		http.Error(w, "spamtrace: busy, try again", http.StatusServiceUnavailable)
		return
	}
	defer s.done()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBytes))
	if err != nil {
		s.readError(w, err)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		http.Error(w, "spamtrace: empty message", http.StatusBadRequest)
		return
	}
	recs := s.traceAll(ctx, "-", data)
	if ctx.Err() != nil {
		http.Error(w, "spamtrace: the request took too long", http.StatusServiceUnavailable)
		return
	}
	var b []byte
	for i := range recs {
		b = appendRecord(b, &recs[i], s.cfg.LookupJSON)
		b = append(b, '\n')
	}
	if len(recs) == 1 {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/jsonl")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (s *server) readError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, fmt.Sprintf("spamtrace: the request is larger than %s", byteSize(s.cfg.MaxBytes)), http.StatusRequestEntityTooLarge)
		return
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		http.Error(w, "spamtrace: the request took too long to arrive", http.StatusRequestTimeout)
		return
	}
	http.Error(w, "spamtrace: reading the request: "+err.Error(), http.StatusBadRequest)
}

// pageData is what the "page" template shows.
type pageData struct {
	Doc      *htmlDoc
	Text     string
	Messages []*htmlMessage
	Error    string
	Limit    string
	Resolve  bool
}

func (s *server) page() *pageData {
	return &pageData{Doc: s.doc, Limit: byteSize(s.cfg.MaxBytes), Resolve: s.cfg.LookupJSON != nil}
}

func (s *server) render(w http.ResponseWriter, status int, p *pageData) {
	var b bytes.Buffer
	if err := reportTmpl.ExecuteTemplate(&b, "page", p); err != nil {
		http.Error(w, "spamtrace: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (s *server) servePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, s.page())
}

// serveForm answers the page's form: the pasted text, or the uploaded
// file when one was chosen, traced and shown below the form.
func (s *server) serveForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.deadline(w, r)
	defer cancel()
	if !s.turn(ctx) {
		http.Error(w, "spamtrace: busy, try again", http.StatusServiceUnavailable)
		return
	}
	defer s.done()
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBytes)
	text, file, fileName, err := readForm(r)
	p := s.page()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.Error = "The message is larger than " + p.Limit + "."
			s.render(w, http.StatusRequestEntityTooLarge, p)
			return
		}
		p.Error = "The form could not be read: " + sanitize(err.Error(), htmlShort)
		s.render(w, http.StatusBadRequest, p)
		return
	}
	p.Text = text
	data, name := []byte(text), "pasted message"
	if len(file) > 0 {
		data, name = file, fileName
		if name == "" {
			name = "uploaded file"
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		p.Error = "Paste a message or choose a file."
		s.render(w, http.StatusBadRequest, p)
		return
	}
	recs := s.traceAll(ctx, name, data)
	if ctx.Err() != nil {
		p.Error = "Tracing took too long."
		s.render(w, http.StatusServiceUnavailable, p)
		return
	}
	for i := range recs {
		p.Messages = append(p.Messages, newHTMLMessage(&recs[i]))
	}
	s.render(w, http.StatusOK, p)
}

// readForm reads the "message" and "file" fields of a multipart or
// URL-encoded form, in memory: nothing of the message is written to disk
// (net/http's ParseMultipartForm would spill large parts to temporary
// files).
func readForm(r *http.Request) (text string, file []byte, fileName string, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return "", nil, "", err
		}
		return r.PostFormValue("message"), nil, "", nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, "", err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return text, file, fileName, nil
		}
		if err != nil {
			return "", nil, "", err
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return "", nil, "", err
		}
		switch part.FormName() {
		case "message":
			text = string(b)
		case "file":
			file, fileName = b, part.FileName()
		}
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// runServe is "spamtrace serve [flags]".
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spamtrace serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", defaultListen, "address to listen on; only loopback unless another address is given")
	maxBytes := fs.Int64("max-bytes", defaultMaxBytes, "largest request body accepted (a larger one gets 413)")
	timeout := fs.Duration("timeout", defaultTimeout, "longest time a request may take")
	concurrent := fs.Int("max-concurrent", defaultConcurrent, "requests read and traced at once; the others wait")
	tf := addTracerFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: spamtrace serve [-listen 127.0.0.1:8025] [flags]\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, "spamtrace serve:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "spamtrace serve: unexpected arguments:", strings.Join(fs.Args(), " "))
		return 2
	}
	tracer, closeLookups, err := tf.tracer(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace serve:", err)
		return 2
	}
	defer closeLookups()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "spamtrace serve:", err)
		return 2
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	ip := net.ParseIP(host)
	local := ip != nil && ip.IsLoopback()
	s := newServer(serveConfig{Tracer: tracer, LookupJSON: tf.lookups.lookupJSON(), MaxBytes: *maxBytes,
		Timeout: *timeout, Concurrent: *concurrent, AnyHost: !local})
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.Timeout,
		WriteTimeout:      s.cfg.Timeout + 5*time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if !local {
		fmt.Fprintf(stderr, "spamtrace serve: warning: %s is not a loopback address; anyone who can reach it can use this server\n", ln.Addr())
	}
	fmt.Fprintf(stderr, "spamtrace serve: http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "spamtrace serve:", err)
		return 2
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return 0
}
