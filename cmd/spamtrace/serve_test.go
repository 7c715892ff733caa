package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func startServer(t testing.TB, cfg serveConfig) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(newServer(cfg).handler())
	t.Cleanup(ts.Close)
	return ts
}

// cliJSON is what "spamtrace -json -" prints for the message in file.
func cliJSON(t testing.TB, file string) (msg, out []byte) {
	t.Helper()
	msg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"-json", "-"}, bytes.NewReader(msg), &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	return msg, o.Bytes()
}

func post(t testing.TB, c *http.Client, u, ctype string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Post(u, ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestServeAPIMatchesJSON(t *testing.T) {
	ts := startServer(t, serveConfig{})
	for _, p := range append(samples(t), hostileSample) {
		msg, want := cliJSON(t, p)
		resp, got := post(t, ts.Client(), ts.URL+"/api/trace", "message/rfc822", bytes.NewReader(msg))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s: %s", p, resp.Status, got)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: /api/trace answered\n%s\nspamtrace -json - prints\n%s", p, got, want)
		}
	}
	// an mbox: one line a message, as the command prints
	var mbox bytes.Buffer
	for _, p := range samples(t) {
		b, _ := os.ReadFile(p)
		fmt.Fprintf(&mbox, "From sender@example Mon Jan  1 00:00:00 2024\n%s\n", b)
	}
	var want, errb bytes.Buffer
	run(context.Background(), []string{"-json", "-"}, bytes.NewReader(mbox.Bytes()), &want, &errb)
	resp, got := post(t, ts.Client(), ts.URL+"/api/trace", "application/mbox", bytes.NewReader(mbox.Bytes()))
	if resp.StatusCode != 200 || !bytes.Equal(got, want.Bytes()) || bytes.Count(got, []byte("\n")) != len(samples(t)) {
		t.Errorf("mbox: %s\n%s\nwant\n%s", resp.Status, got, want.Bytes())
	}
	resp, _ = post(t, ts.Client(), ts.URL+"/api/trace", "message/rfc822", strings.NewReader(" \n"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty body: %s", resp.Status)
	}
}

func TestServeTooLarge(t *testing.T) {
	ts := startServer(t, serveConfig{MaxBytes: 4096})
	msg, want := cliJSON(t, sample("forged-spam.eml"))
	big := append(append([]byte{}, msg...), bytes.Repeat([]byte("x"), 8192)...)
	resp, body := post(t, ts.Client(), ts.URL+"/api/trace", "message/rfc822", bytes.NewReader(big))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "4 KiB") {
		t.Errorf("api: %s %s", resp.Status, body)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "big.eml")
	fw.Write(big)
	mw.Close()
	resp, body = post(t, ts.Client(), ts.URL+"/", mw.FormDataContentType(), &form)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "larger than 4 KiB") {
		t.Errorf("form: %s", resp.Status)
	}
	checkInert(t, parseHTML(t, string(body)))
	// and the server goes on
	resp, got := post(t, ts.Client(), ts.URL+"/api/trace", "message/rfc822", bytes.NewReader(msg))
	if resp.StatusCode != 200 || !bytes.Equal(got, want) {
		t.Errorf("after 413: %s", resp.Status)
	}
}

func TestServeHeadersAndHost(t *testing.T) {
	ts := startServer(t, serveConfig{})
	resp, err := ts.Client().Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src " + styleHash, "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows scripts or unsafe sources", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q", k, got)
		}
	}
	doc := parseHTML(t, string(body))
	checkInert(t, doc)
	if len(find(doc, byTag("textarea"))) != 1 || len(find(doc, byTag("form"))) != 1 {
		t.Error("the page lacks its form")
	}
	for host, want := range map[string]int{"evil.example": 421, "evil.example:80": 421, "localhost": 200, "[::1]:8025": 200, "127.0.0.1:1": 200} {
		req, _ := http.NewRequest("GET", ts.URL+"/", nil)
		req.Host = host
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %s", host, resp.Status)
		}
	}
	// a page elsewhere cannot make the browser post here
	req, _ := http.NewRequest("POST", ts.URL+"/api/trace", strings.NewReader("Subject: x\n\n"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %s", resp.Status)
	}
}

func TestServeForm(t *testing.T) {
	ts := startServer(t, serveConfig{})
	shape := jsonShapes(t, sample("forged-spam.eml"))[0]
	msg, _ := os.ReadFile(sample("forged-spam.eml"))
	check := func(name string, resp *http.Response, body []byte, heading string) {
		t.Helper()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", name, resp.Status)
		}
		doc := parseHTML(t, string(body))
		checkInert(t, doc)
		secs := find(doc, byTag("section"))
		if len(secs) != 1 {
			t.Fatalf("%s: %d sections", name, len(secs))
		}
		if h := text(find(secs[0], byTag("h2"))[0]); h != heading {
			t.Errorf("%s: heading %q", name, h)
		}
		if n := len(find(secs[0], byTagClass("tr", "hop"))); n != len(shape.Hops) {
			t.Errorf("%s: %d hop rows", name, n)
		}
		if n := len(find(secs[0], byTagClass("g", "node"))); n != shape.graphNodes() {
			t.Errorf("%s: %d graph nodes", name, n)
		}
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("message", string(msg))
	mw.CreateFormFile("file", "")
	mw.Close()
	resp, body := post(t, ts.Client(), ts.URL+"/", mw.FormDataContentType(), &form)
	check("pasted", resp, body, "pasted message")
	doc := parseHTML(t, string(body))
	if ta := find(doc, byTag("textarea")); len(ta) != 1 || text(ta[0]) != string(msg) {
		t.Error("the pasted text is not kept in the text area")
	}

	form.Reset()
	mw = multipart.NewWriter(&form)
	mw.WriteField("message", "")
	fw, _ := mw.CreateFormFile("file", "suspicious.eml")
	fw.Write(msg)
	mw.Close()
	resp, body = post(t, ts.Client(), ts.URL+"/", mw.FormDataContentType(), &form)
	check("uploaded", resp, body, "suspicious.eml")

	resp, body = post(t, ts.Client(), ts.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"message": {string(msg)}}.Encode()))
	check("urlencoded", resp, body, "pasted message")

	resp, _ = post(t, ts.Client(), ts.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("message="))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty form: %s", resp.Status)
	}
}

// 200 requests at once, each a shipped sample: every answer is the
// command's JSON for it.
func TestServeLoad(t *testing.T) {
	ts := startServer(t, serveConfig{})
	type job struct{ msg, want []byte }
	var jobs []job
	for _, p := range append(samples(t), hostileSample) {
		m, w := cliJSON(t, p)
		jobs = append(jobs, job{m, w})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()
	const n = 200
	var wg sync.WaitGroup
	var ok atomic.Int32
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := jobs[i%len(jobs)]
			<-start
			resp, err := client.Post(ts.URL+"/api/trace", "message/rfc822", bytes.NewReader(j.msg))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case err != nil:
				errs <- err
			case resp.StatusCode != 200:
				errs <- fmt.Errorf("request %d: %s", i, resp.Status)
			case !bytes.Equal(b, j.want):
				errs <- fmt.Errorf("request %d: wrong answer %.200s", i, b)
			default:
				ok.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ok.Load() != n {
		t.Errorf("%d of %d answered correctly", ok.Load(), n)
	}
}

// gatedBody gives the first part of a message, then blocks until open is
// closed: a client that is slow to send the rest.
type gatedBody struct {
	data []byte
	off  int
	gate int
	open chan struct{}
}

func (g *gatedBody) Read(p []byte) (int, error) {
	if g.off >= len(g.data) {
		return 0, io.EOF
	}
	if g.off >= g.gate {
		<-g.open
	}
	end := len(g.data)
	if g.off < g.gate {
		end = g.gate
	}
	n := copy(p, g.data[g.off:end])
	g.off += n
	return n, nil
}

// However many requests arrive at once, only Concurrent bodies are read
// into memory. 200 clients send the start of a 1 MiB message and stall;
// once all 200 requests are in the server, 4 are being read and 196 wait,
// and memory is measured; then the clients send the rest.
func TestServeMemoryBounded(t *testing.T) {
	s := newServer(serveConfig{MaxBytes: 2 << 20, Concurrent: 4, Timeout: 5 * time.Minute})
	ts := httptest.NewServer(s.handler())
	defer ts.Close()
	msg, _ := os.ReadFile(sample("forged-spam.eml"))
	big := append(append([]byte{}, msg...), bytes.Repeat([]byte("padding line of the message body\n"), (1<<20)/33)...)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	const n = 200
	open := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := &gatedBody{data: big, gate: 256 << 10, open: open}
			req, _ := http.NewRequest("POST", ts.URL+"/api/trace", body)
			req.ContentLength = int64(len(big))
			resp, err := client.Do(req)
			if err != nil {
				bad.Add(1)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"origin":{"hop":1,"ip":"81.2.69.77"`)) {
				bad.Add(1)
			}
		}()
	}
	for s.waiting.Load()+s.busy.Load() < n {
		time.Sleep(10 * time.Millisecond)
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	waiting, busy := s.waiting.Load(), s.busy.Load()
	close(open)
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d of %d requests failed", bad.Load(), n)
	}
	grew := int64(during.HeapInuse) - int64(base.HeapInuse)
	t.Logf("%d requests in the server at once: %d being read, %d waiting; heap in use %.1f MiB above the start; most read at once %d",
		waiting+busy, busy, waiting, float64(grew)/(1<<20), s.peakBusy.Load())
	if busy > 4 || s.peakBusy.Load() > 4 {
		t.Errorf("%d bodies read at once (peak %d), want at most 4", busy, s.peakBusy.Load())
	}
	if grew > 32<<20 {
		t.Errorf("heap in use grew by %d MiB with 200 requests waiting", grew>>20)
	}
}

// lockedBuffer is a bytes.Buffer safe to read while another goroutine
// writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "spamtrace serve args..." on a free loopback port and
// returns its base URL; the server stops at the end of the test.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-listen", "127.0.0.1:0"}, args...), nil, io.Discard, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	})
	for {
		s := stderr.String()
		if i := strings.Index(s, "http://"); i >= 0 && strings.HasSuffix(s, "\n") {
			return strings.TrimSuffix(strings.TrimSpace(s[i:]), "/")
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d: %s", code, s)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// The command's flags reach serve: with -resolve and the lookup servers
// of the command's own test, the API answers with the lookups exactly as
// "spamtrace -json -resolve ... -" prints them, and the page shows them.
func TestServeFlags(t *testing.T) {
	dnsAddr, whoisAddr, path := lookupFixtures(t)
	flags := []string{"-resolve", "-dns-server", dnsAddr, "-whois-server", whoisAddr, "-local-domain", "example.org"}
	base := startServe(t, flags...)
	msg, _ := os.ReadFile(path)
	var want, errb bytes.Buffer
	if code := run(context.Background(), append(append([]string{"-json"}, flags...), "-"), bytes.NewReader(msg), &want, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(want.String(), `"protect@bt.com"`) {
		t.Fatalf("the command found no abuse contact: %s", want.String())
	}
	resp, got := post(t, http.DefaultClient, base+"/api/trace", "message/rfc822", bytes.NewReader(msg))
	if resp.StatusCode != 200 || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s\n%s\nwant\n%s", resp.Status, got, want.Bytes())
	}
	resp, page := post(t, http.DefaultClient, base+"/", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"message": {string(msg)}}.Encode()))
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	checkLookupsShown(t, string(page))

	for _, args := range [][]string{{"-dnsbl", "zen.example"}, {"-trusted", "not-an-address"}, {"-no-such-flag"}, {"extra-argument"}, {"-listen", "256.0.0.1:1"}} {
		if code := run(context.Background(), append([]string{"serve"}, args...), nil, io.Discard, io.Discard); code != 2 {
			t.Errorf("serve %v: exit %d, want 2", args, code)
		}
	}
}

// A client that stops sending is cut off after Timeout, and its slot is
// freed for the next request.
func TestServeSlowClient(t *testing.T) {
	s := newServer(serveConfig{Timeout: 300 * time.Millisecond, Concurrent: 1})
	ts := httptest.NewServer(s.handler())
	defer ts.Close()
	msg, want := cliJSON(t, sample("forged-spam.eml"))
	open := make(chan struct{})
	defer close(open)
	req, _ := http.NewRequest("POST", ts.URL+"/api/trace", &gatedBody{data: msg, gate: 100, open: open})
	req.ContentLength = int64(len(msg))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled client: %s", resp.Status)
	}
	resp, got := post(t, ts.Client(), ts.URL+"/api/trace", "message/rfc822", bytes.NewReader(msg))
	if resp.StatusCode != 200 || !bytes.Equal(got, want) {
		t.Errorf("after a stalled client: %s", resp.Status)
	}
}
