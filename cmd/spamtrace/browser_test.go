package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// These tests open the reports in a real headless Chromium (Debian's
// chromium package; .ci/run installs it). Under CI=true a missing browser
// fails the tests; elsewhere they are skipped. Set SPAMTRACE_SCREENSHOTS
// to a directory to keep the screenshots they take.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SPAMTRACE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found: CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium not found; the browser tests need it")
	return ""
}

// startBrowser starts one headless Chromium with a fresh profile, for the
// tabs of a test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	dir, err := os.MkdirTemp("", "spamtrace-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`1`)); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting %s: %v", exe, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		// The browser's children may still write to the profile for a moment.
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return ctx
}

// tab is one browser tab that records every request the page makes and
// every dialog it opens.
type tab struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	dialogs  []string
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	tb := &tab{ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.mu.Lock()
			tb.requests = append(tb.requests, ev.Request.URL)
			tb.mu.Unlock()
		case *page.EventJavascriptDialogOpening:
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, ev.Type.String()+": "+ev.Message)
			tb.mu.Unlock()
			// close it, or the page would wait forever
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// checkNoNetwork fails when the page asked for anything but the documents
// allowed (the page itself, and for serve the form's own POST).
func (tb *tab) checkNoNetwork(t *testing.T, allowed func(string) bool) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.requests) == 0 {
		t.Error("no request seen at all: the network listener is not working")
	}
	for _, u := range tb.requests {
		if !allowed(u) {
			t.Errorf("the page made a request to %s", u)
		}
	}
}

func (tb *tab) checkNoDialog(t *testing.T) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, d := range tb.dialogs {
		t.Errorf("the page opened a dialog: %s", d)
	}
}

// domShape is what the page's DOM holds, read in the browser.
const domShapeJS = `(() => {
	const secs = [...document.querySelectorAll('section.message')];
	return secs.map(s => ({
		file: s.querySelector('h2').textContent,
		rows: s.querySelectorAll('table.hops tr.hop').length,
		rowHops: [...s.querySelectorAll('table.hops tr.hop')].map(r => Number(r.dataset.hop)),
		nodes: s.querySelectorAll('svg.graph g.node').length,
		origins: s.querySelectorAll('svg.graph g.node.origin').length,
		broken: s.querySelectorAll('svg.graph g.edge.broken').length,
		boundary: s.querySelectorAll('svg.graph g.boundary').length,
		svgWidth: s.querySelector('svg.graph') ? s.querySelector('svg.graph').getBoundingClientRect().width : 0,
	}));
})()`

type domSection struct {
	File     string  `json:"file"`
	Rows     int     `json:"rows"`
	RowHops  []int   `json:"rowHops"`
	Nodes    int     `json:"nodes"`
	Origins  int     `json:"origins"`
	Broken   int     `json:"broken"`
	Boundary int     `json:"boundary"`
	SVGWidth float64 `json:"svgWidth"`
}

func checkDOM(t *testing.T, got []domSection, want []jsonShape, names []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d sections in the DOM, want %d", len(got), len(want))
	}
	for i, s := range want {
		g := got[i]
		if g.File != names[i] {
			t.Errorf("section %d is %q, want %q", i, g.File, names[i])
		}
		if g.Rows != len(s.Hops) {
			t.Errorf("%s: %d hop rows, want %d", g.File, g.Rows, len(s.Hops))
		}
		for j, h := range g.RowHops {
			if h != len(s.Hops)-1-j {
				t.Errorf("%s: row %d shows hop %d", g.File, j, h)
			}
		}
		if g.Nodes != s.graphNodes() {
			t.Errorf("%s: %d SVG nodes, want %d", g.File, g.Nodes, s.graphNodes())
		}
		broken := 0
		for _, e := range s.Edges {
			if e.Broken {
				broken++
			}
		}
		if g.Broken != broken {
			t.Errorf("%s: %d broken links drawn, want %d", g.File, g.Broken, broken)
		}
		if s.Origin.Hop >= 0 && (g.Origins != 1 || g.Boundary != 1) {
			t.Errorf("%s: %d origin nodes, %d trust boundaries", g.File, g.Origins, g.Boundary)
		}
		if g.SVGWidth < 100 {
			t.Errorf("%s: the hop graph is %.0f px wide", g.File, g.SVGWidth)
		}
	}
}

// checkStyled fails unless the inlined style sheet applies: the CSP lets it
// in by its hash, so a changed sheet without a changed hash shows here.
func checkStyled(t *testing.T, tb *tab) {
	t.Helper()
	if d := eval[string](t, tb, `getComputedStyle(document.querySelector('.summary')).display`); d != "grid" {
		t.Errorf("the style sheet does not apply (.summary display %q)", d)
	}
}

func screenshot(t *testing.T, tb *tab, name string, width int64) {
	t.Helper()
	dir := os.Getenv("SPAMTRACE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	tb.do(t, chromedp.EmulateViewport(width, 900))
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: %d bytes, not a PNG", name, len(png))
	}
	// nothing sticks out sideways at this width but the scrolling tables
	if w := eval[float64](t, tb, `document.documentElement.scrollWidth`); w > float64(width)+1 {
		t.Errorf("%s: the page is %.0f px wide in a %d px window", name, w, width)
	}
	// no two flags of a hop are drawn over each other
	overlaps := eval[int](t, tb, `(() => {
		let n = 0;
		for (const row of document.querySelectorAll('tr.hop')) {
			const r = [...row.querySelectorAll('.flag')].map(f => f.getBoundingClientRect());
			for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
				if (r[i].left < r[j].right - 1 && r[j].left < r[i].right - 1 && r[i].top < r[j].bottom - 1 && r[j].top < r[i].bottom - 1) n++;
		}
		return n;
	})()`)
	if overlaps > 0 {
		t.Errorf("%s: %d pairs of flags overlap", name, overlaps)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// printPDF switches the tab to print media and prints it to PDF, as the
// browser's "print to PDF" does.
func printPDF(t *testing.T, tb *tab, name string) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	// A4 less the style sheet's 14 mm margins is 182 mm, 688 CSS px: the
	// printed report must fit in it.
	tb.do(t, chromedp.EmulateViewport(688, 1000))
	if w := eval[float64](t, tb, `document.documentElement.scrollWidth`); w > 689 {
		t.Errorf("%s: the printed page is %.0f px wide, A4 holds 688", name, w)
	}
	pdf, err := chromedp.Run(tb.ctx, chromedp.PrintToPDF())
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) < 1000 || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("%s: %d bytes, not a PDF", name, len(pdf))
	}
	dir := os.Getenv("SPAMTRACE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", name, len(pdf))
}

// hostileChecks are the page's own answers about the hostile message: no
// element came from its text, no script ran, and the text is visible.
const hostileJS = `(() => ({
	pwned: typeof window.__pwned !== 'undefined',
	active: document.querySelectorAll('script, img, iframe, object, embed, link, base, meta[http-equiv=refresh], [onerror], [onload], [onclick], a[href^="javascript"]').length,
	tags: [...new Set([...document.querySelectorAll('*')].map(e => e.localName))],
	text: document.body.innerText,
	title: document.title,
}))()`

type hostileResult struct {
	Pwned  bool     `json:"pwned"`
	Active int      `json:"active"`
	Tags   []string `json:"tags"`
	Text   string   `json:"text"`
	Title  string   `json:"title"`
}

func checkHostile(t *testing.T, tb *tab) {
	t.Helper()
	r := eval[hostileResult](t, tb, hostileJS)
	if r.Pwned {
		t.Error("a script from the message ran")
	}
	if r.Active != 0 {
		t.Errorf("%d active elements in the page", r.Active)
	}
	for _, tag := range r.Tags {
		if !reportTags[tag] {
			t.Errorf("element <%s> in the page", tag)
		}
	}
	for _, want := range []string{"<script>window.__pwned=3;alert(3)</script>", `"<img src=x onerror=alert(2)>"`,
		"<svg/onload=alert(6)>", `<a href="javascript:alert(7)">click</a>`, `\u202eevil\u202c`, `\u001b[31mred`} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
	tb.checkNoDialog(t)
}

// setTextarea types value into the page's text area (chromedp.SetValue
// refuses some of the hostile message's control characters).
func setTextarea(value string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(value)
	return chromedp.Evaluate[chromedp.Void](`void (document.querySelector('textarea').value = ` + string(js) + `)`)
}

func TestBrowserReportFile(t *testing.T) {
	browser := startBrowser(t)
	paths := samples(t)
	shapes := jsonShapes(t, paths...)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(htmlReport(t, paths...)), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: file}).String()
	tb := newTab(t, browser)
	tb.do(t, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS("nav.index")))
	checkDOM(t, eval[[]domSection](t, tb, domShapeJS), shapes, paths)
	checkStyled(t, tb)
	// the index is shown first and links to every section
	links := eval[[]string](t, tb, `[...document.querySelectorAll('nav.index a')].map(a => a.getAttribute('href'))`)
	ids := eval[[]string](t, tb, `[...document.querySelectorAll('section.message')].map(s => '#' + s.id)`)
	if !slices.Equal(links, ids) {
		t.Errorf("index links %v, sections %v", links, ids)
	}
	if top := eval[bool](t, tb, `document.querySelector('nav.index').getBoundingClientRect().top < document.querySelector('section.message').getBoundingClientRect().top`); !top {
		t.Error("the index is not above the sections")
	}
	screenshot(t, tb, "spamtrace-report-1280.png", 1280)
	screenshot(t, tb, "spamtrace-report-390.png", 390)
	printPDF(t, tb, "spamtrace-report.pdf")
	// on paper too, the index comes first and each message starts a page
	if top := eval[bool](t, tb, `document.querySelector('nav.index').getBoundingClientRect().top < document.querySelector('section.message').getBoundingClientRect().top`); !top {
		t.Error("the printed index is not above the sections")
	}
	if b := eval[string](t, tb, `getComputedStyle(document.querySelectorAll('section.message')[1]).breakBefore`); b != "page" {
		t.Errorf("the second message does not start a page (break-before %q)", b)
	}
	tb.checkNoNetwork(t, func(u string) bool { return u == pageURL })
	tb.checkNoDialog(t)

	// the hostile message, from disk
	hostile := filepath.Join(dir, "hostile.html")
	if err := os.WriteFile(hostile, []byte(htmlReport(t, hostileSample)), 0o644); err != nil {
		t.Fatal(err)
	}
	hostileURL := (&url.URL{Scheme: "file", Path: hostile}).String()
	tb = newTab(t, browser)
	tb.do(t, chromedp.Navigate(hostileURL), chromedp.WaitVisible(chromedp.CSS("section.message")))
	checkHostile(t, tb)
	screenshot(t, tb, "spamtrace-hostile-1280.png", 1280)
	tb.checkNoNetwork(t, func(u string) bool { return u == hostileURL })
}

func TestBrowserServe(t *testing.T) {
	browser := startBrowser(t)
	ts := httptest.NewServer(newServer(serveConfig{}).handler())
	defer ts.Close()
	own := func(u string) bool { return u == ts.URL+"/" }
	msg, err := os.ReadFile(sample("forged-spam.eml"))
	if err != nil {
		t.Fatal(err)
	}
	shapes := jsonShapes(t, sample("forged-spam.eml"))

	// paste into the text area and submit the form
	tb := newTab(t, browser)
	tb.do(t,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("textarea")),
		setTextarea(string(msg)),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.message")),
	)
	checkDOM(t, eval[[]domSection](t, tb, domShapeJS), shapes, []string{"pasted message"})
	checkStyled(t, tb)
	if v := eval[string](t, tb, `document.querySelector('textarea').value`); v != strings.ReplaceAll(string(msg), "\r\n", "\n") {
		t.Errorf("the text area does not keep the pasted message (%d bytes)", len(v))
	}
	screenshot(t, tb, "spamtrace-serve-1280.png", 1280)
	screenshot(t, tb, "spamtrace-serve-390.png", 390)
	printPDF(t, tb, "spamtrace-serve.pdf")
	if d := eval[string](t, tb, `getComputedStyle(document.querySelector('header.form')).display`); d != "none" {
		t.Errorf("the form is printed (display %q)", d)
	}
	tb.checkNoNetwork(t, own)
	tb.checkNoDialog(t)

	// upload a file
	abs, err := filepath.Abs(sample("gmail-to-postfix.eml"))
	if err != nil {
		t.Fatal(err)
	}
	tb = newTab(t, browser)
	tb.do(t,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("input[type=file]")),
		chromedp.SetUploadFiles(chromedp.CSS("input[type=file]"), []string{abs}),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.message")),
	)
	checkDOM(t, eval[[]domSection](t, tb, domShapeJS), jsonShapes(t, abs), []string{"gmail-to-postfix.eml"})
	tb.checkNoNetwork(t, own)

	// the hostile message, pasted
	hostile, err := os.ReadFile(hostileSample)
	if err != nil {
		t.Fatal(err)
	}
	tb = newTab(t, browser)
	tb.do(t,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("textarea")),
		setTextarea(string(hostile)),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.message")),
	)
	checkHostile(t, tb)
	tb.checkNoNetwork(t, own)
}

// The detectors themselves: a page without the report's policy that does
// what the hostile message tries must trip every one of them.
func TestBrowserDetectorsWork(t *testing.T) {
	browser := startBrowser(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<!DOCTYPE html><body><img src="/x.png"><script>window.__pwned=1; alert("ran")</script><p>done</p>`)
	}))
	defer ts.Close()
	tb := newTab(t, browser)
	tb.do(t, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("p")))
	r := eval[hostileResult](t, tb, hostileJS)
	if !r.Pwned || r.Active == 0 {
		t.Errorf("the script or the image went unseen: %+v", r)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.dialogs) != 1 {
		t.Errorf("dialogs seen: %q", tb.dialogs)
	}
	if !slices.Contains(tb.requests, ts.URL+"/x.png") {
		t.Errorf("the image request went unseen: %q", tb.requests)
	}
}
