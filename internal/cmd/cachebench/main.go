// Command cachebench measures spamtrace past one process, on loopback
// only: the shared Redis cache and the Redis work queue.
//
// Cache: it writes N messages (the SpamAssassin public corpus, cycled,
// header blocks) to an mbox and traces them with lookups in two
// processes at once, both behind one Redis (rediscache, as -cache sets it
// up), against benchnet's DNS and whois servers, which add 20 ms to every
// answer. It reports the questions the servers got against the distinct
// questions (DNS) and the distinct prefixes (whois), then runs the two
// processes again and reports what they asked (nothing, when the cache
// works). Last it runs one process and stops Redis midway: the output
// must be the same and the process must say the cache was lost.
//
// Queue: it enqueues the mbox with "spamtrace enqueue", starts three
// "spamtrace worker" processes, kills one with SIGKILL a third of the way
// and does not restart it, and checks that every input id has exactly one
// result, equal to what "spamtrace -json" prints; it lists dead letters
// and gives each worker's throughput.
//
// Usage (from the repository root):
//
//	go run ./internal/cmd/cachebench -corpus /path/to/package/data
//
// It is a measurement, not a test: CI does not run it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spamtrace/spamtrace/internal/benchnet"
	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/internal/mailbox"
	"github.com/spamtrace/spamtrace/internal/redistest"
	"github.com/spamtrace/spamtrace/netblock"
	"github.com/spamtrace/spamtrace/rediscache"
	"github.com/spamtrace/spamtrace/trace"
)

var (
	corpusDir = flag.String("corpus", "", "the corpus data directory")
	n         = flag.Int("n", 10000, "messages")
	delay     = flag.Duration("delay", 20*time.Millisecond, "added to every DNS and whois answer")
	mode      = flag.String("mode", "all", "cache, queue or all")
	bin       = flag.String("bin", "", "the spamtrace binary (default: built from ./cmd/spamtrace)")
	workers   = flag.Int("workers", 2, "goroutines per queue worker process")

	// child mode
	child    = flag.Bool("child", false, "internal: one tracing process")
	dnsAddr  = flag.String("dns", "", "internal")
	whoisAdr = flag.String("whois", "", "internal")
	cacheURL = flag.String("cache", "", "internal")
	mboxPath = flag.String("mbox", "", "internal")
	outPath  = flag.String("out", "", "internal")
)

func main() {
	flag.Parse()
	if *child {
		os.Exit(runChild())
	}
	msgs, err := corpus.Load(*corpusDir)
	if err != nil || len(msgs) == 0 {
		fail("need -corpus: %v", err)
	}
	dir, err := os.MkdirTemp("", "cachebench")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	box := filepath.Join(dir, "box.mbox")
	writeMbox(box, msgs)
	fmt.Printf("%d messages (the corpus's %d, cycled), %v added per DNS and whois answer, %d cores\n\n", *n, len(msgs), *delay, runtimeCPUs())
	if *mode == "all" || *mode == "cache" {
		benchCache(dir, box)
	}
	if *mode == "all" || *mode == "queue" {
		benchQueue(dir, box)
	}
}

func runtimeCPUs() int {
	b, _ := exec.Command("nproc").Output()
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cachebench: "+format+"\n", args...)
	os.Exit(2)
}

// writeMbox writes n header blocks, cycling through the corpus.
func writeMbox(path string, msgs []corpus.Message) {
	f, err := os.Create(path)
	if err != nil {
		fail("%v", err)
	}
	w := bufio.NewWriter(f)
	for i := 0; i < *n; i++ {
		text := strings.ReplaceAll(msgs[i%len(msgs)].Text, "\r\n", "\n")
		if strings.HasPrefix(text, "From ") {
			if j := strings.IndexByte(text, '\n'); j >= 0 {
				text = text[j+1:]
			}
		}
		if j := strings.Index(text, "\n\n"); j >= 0 {
			text = text[:j+1]
		}
		fmt.Fprintf(w, "From bench@example.org Mon Jan  1 00:00:00 2024\n")
		for _, line := range strings.SplitAfter(text, "\n") {
			if strings.HasPrefix(line, "From ") {
				w.WriteString(">")
			}
			w.WriteString(line)
		}
		w.WriteString("\n")
	}
	w.Flush()
	f.Close()
}

// ---- cache ----

type childStats struct {
	Messages int              `json:"messages"`
	Seconds  float64          `json:"seconds"`
	Errors   int              `json:"errors"` // hops with lookup errors
	Cache    rediscache.Stats `json:"cache"`
}

type childRun struct {
	stats  childStats
	stderr string
	out    []byte
}

func startChild(dir, name, url string, dnsS, whoisS string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, string) {
	out := filepath.Join(dir, name+".out")
	cmd := exec.Command(os.Args[0], "-child", "-dns", dnsS, "-whois", whoisS, "-cache", url, "-mbox", filepath.Join(dir, "box.mbox"), "-out", out)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		fail("%v", err)
	}
	return cmd, &so, &se, out
}

func runChildren(dir, tag string, urls []string, d *benchnet.DNS, w *benchnet.Whois, during func()) []childRun {
	type started struct {
		cmd    *exec.Cmd
		so, se *bytes.Buffer
		out    string
	}
	var ss []started
	for i, u := range urls {
		c, so, se, out := startChild(dir, fmt.Sprintf("%s-%d", tag, i), u, d.Addr, w.Addr)
		ss = append(ss, started{c, so, se, out})
	}
	if during != nil {
		during()
	}
	var runs []childRun
	for _, s := range ss {
		if err := s.cmd.Wait(); err != nil {
			fail("child: %v: %s", err, s.se.String())
		}
		var r childRun
		if err := json.Unmarshal(s.so.Bytes(), &r.stats); err != nil {
			fail("child stats: %v: %q", err, s.so.String())
		}
		r.stderr = s.se.String()
		r.out, _ = os.ReadFile(s.out)
		runs = append(runs, r)
	}
	return runs
}

func benchCache(dir, box string) {
	d, err := benchnet.StartDNS(*delay)
	if err != nil {
		fail("%v", err)
	}
	defer d.Close()
	w, err := benchnet.StartWhois(*delay)
	if err != nil {
		fail("%v", err)
	}
	defer w.Close()
	rs, err := redistest.Start(dir)
	if err != nil {
		fail("%v", err)
	}
	defer rs.Close()
	fmt.Println("== shared cache: two processes at once, one Redis")
	report := func(label string, runs []childRun, dns0, whois0 int) {
		for i, r := range runs {
			fmt.Printf("  %s process %d: %d messages in %.1fs, %d hops with lookup errors; cache: %d hits (%d after waiting for the other process), %d asked and stored, %d without the cache\n",
				label, i+1, r.stats.Messages, r.stats.Seconds, r.stats.Errors, r.stats.Cache.Hits, r.stats.Cache.Waited, r.stats.Cache.Asked, r.stats.Cache.Bypassed)
			if r.stats.Cache.Lost > 0 && label != "Redis stopped midway" {
				fmt.Printf("    it said: %s\n", strings.TrimSpace(r.stderr))
			}
		}
		fmt.Printf("  %s: DNS questions %d; whois queries %d\n", label, d.Total()-dns0, w.Total()-whois0)
	}
	urls := []string{rs.URL(0), rs.URL(0)}
	first := runChildren(dir, "first", urls, d, w, nil)
	report("first run", first, 0, 0)
	fmt.Printf("  distinct DNS questions %d (asked %d: %s); distinct registry prefixes %d, whois queries %d (%s)\n",
		d.Distinct(), d.Total(), verdict(d.Total() == d.Distinct()), w.Prefixes(), w.Total(), verdict(w.Total() == w.Prefixes()))
	same := bytes.Equal(first[0].out, first[1].out)
	fmt.Printf("  the two processes' lookups are identical: %v\n", same)
	dns0, whois0 := d.Total(), w.Total()
	second := runChildren(dir, "second", urls, d, w, nil)
	report("second run", second, dns0, whois0)
	fmt.Printf("  second run asked nothing: %v; lookups identical to the first run: %v\n",
		d.Total() == dns0 && w.Total() == whois0, bytes.Equal(second[0].out, first[0].out) && bytes.Equal(second[1].out, first[0].out))

	// Redis stopped midway, in a fresh database.
	dns0, whois0 = d.Total(), w.Total()
	target := dns0 + (d.Distinct() / 3)
	lost := runChildren(dir, "lost", []string{rs.URL(5)}, d, w, func() {
		for d.Total() < target {
			time.Sleep(5 * time.Millisecond)
		}
		rs.Stop()
	})
	report("Redis stopped midway", lost, dns0, whois0)
	r := lost[0]
	fmt.Printf("  output identical to the runs with the cache: %v; it said: %s\n\n", bytes.Equal(r.out, first[0].out), strings.TrimSpace(r.stderr))
}

func verdict(ok bool) string {
	if ok {
		return "each asked once"
	}
	return "SOME ASKED MORE THAN ONCE"
}

// runChild traces the mbox with lookups, behind the cache when one is
// given, and writes each message's lookups to -out in input order.
func runChild() int {
	redis.SetLogger(quiet{})
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", *dnsAddr)
	}}
	lk := &trace.Lookups{
		DNS:         res,
		DNSBL:       []string{"bl.test"},
		Netblocks:   &netblock.Client{WhoisServer: *whoisAdr, Resolver: res, RateLimits: map[string]time.Duration{}, MaxConcurrent: 64},
		Concurrency: 64,
		Timeout:     5 * time.Second,
	}
	var c *rediscache.Cache
	if *cacheURL != "" {
		var err error
		c, err = rediscache.Open(*cacheURL, &rediscache.Options{Warn: func(m string) { fmt.Fprintln(os.Stderr, m) }})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer c.Close()
		c.Apply(lk, &rediscache.DNSClient{Servers: []string{*dnsAddr}})
	}
	tracer := &trace.Tracer{Lookups: lk}
	var raws [][]byte
	mailbox.Walk([]string{*mboxPath}, nil, &mailbox.Options{HeaderOnly: true}, func(m mailbox.Message) bool {
		raws = append(raws, m.Data)
		return true
	})
	lines := make([]string, len(raws))
	errs := make([]int, len(raws))
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				tr, err := tracer.Trace(context.Background(), bytes.NewReader(raws[i]))
				if err != nil {
					lines[i] = "error: " + err.Error()
					continue
				}
				lines[i], errs[i] = describe(tr)
			}
		}()
	}
	for i := range raws {
		work <- i
	}
	close(work)
	wg.Wait()
	st := childStats{Messages: len(raws), Seconds: time.Since(start).Seconds()}
	for _, e := range errs {
		st.Errors += e
	}
	if c != nil {
		st.Cache = c.Stats()
	}
	os.WriteFile(*outPath, []byte(strings.Join(lines, "\n")), 0o644)
	json.NewEncoder(os.Stdout).Encode(st)
	return 0
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// describe writes what the lookups found for each hop of tr.
func describe(tr *trace.Trace) (string, int) {
	var b strings.Builder
	errs := 0
	for _, h := range tr.Hops {
		l := h.Lookup
		if l == nil {
			continue
		}
		fmt.Fprintf(&b, "[%s ptr=%v fcrdns=%v", l.IP, l.PTR, l.FCrDNS)
		if l.Netblock != nil {
			fmt.Fprintf(&b, " nb=%s", l.Netblock.Prefix)
			for _, a := range l.Netblock.Abuse {
				fmt.Fprintf(&b, " %s", a.Email)
			}
		}
		for _, d := range l.DNSBL {
			fmt.Fprintf(&b, " dnsbl=%s:%v", d.Zone, d.Codes)
		}
		if len(l.Errors) > 0 {
			errs++
			fmt.Fprintf(&b, " errors=%q", l.Errors)
		}
		b.WriteString("]")
	}
	return b.String(), errs
}

// ---- queue ----

func buildBinary(dir string) string {
	if *bin != "" {
		return *bin
	}
	p := filepath.Join(dir, "spamtrace")
	out, err := exec.Command("go", "build", "-o", p, "./cmd/spamtrace").CombinedOutput()
	if err != nil {
		fail("go build ./cmd/spamtrace (run from the repository root): %v: %s", err, out)
	}
	return p
}

type workerProc struct {
	name   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	start  time.Time
	end    time.Time
	done   chan struct{}
}

func benchQueue(dir, box string) {
	exe := buildBinary(dir)
	rs, err := redistest.Start(dir)
	if err != nil {
		fail("%v", err)
	}
	defer rs.Close()
	ctx := context.Background()
	opt, _ := redis.ParseURL(rs.URL(0))
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	fmt.Println("== work queue: three workers, one killed with SIGKILL a third of the way and not restarted")

	// What spamtrace -json says, by position in the mbox.
	want := map[int]string{}
	out, err := exec.Command(exe, "-json", box).Output()
	if err != nil {
		fail("spamtrace -json: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var v struct{ Position int }
		json.Unmarshal(sc.Bytes(), &v)
		want[v.Position] = sc.Text()
	}

	enq := exec.Command(exe, "enqueue", "-redis", rs.URL(0), "-stream", "in", box)
	if b, err := enq.CombinedOutput(); err != nil {
		fail("enqueue: %v: %s", err, b)
	} else {
		fmt.Printf("  %s", b)
	}
	var ws []*workerProc
	start := time.Now()
	for i := range 3 {
		wp := &workerProc{name: fmt.Sprintf("w%d", i+1), done: make(chan struct{})}
		wp.cmd = exec.Command(exe, "worker", "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-consumer", wp.name,
			"-workers", strconv.Itoa(*workers), "-claim-after", "3s", "-timeout", "2s")
		wp.cmd.Stderr = &wp.stderr
		wp.start = time.Now()
		if err := wp.cmd.Start(); err != nil {
			fail("%v", err)
		}
		go func() { wp.cmd.Wait(); wp.end = time.Now(); close(wp.done) }()
		ws = append(ws, wp)
	}
	total := int64(*n)
	results := func() int64 { return rdb.XLen(ctx, "in:results").Val() + rdb.XLen(ctx, "in:dead").Val() }
	for results() < total/3 {
		time.Sleep(10 * time.Millisecond)
	}
	ws[0].cmd.Process.Signal(syscall.SIGKILL)
	<-ws[0].done
	held := int64(0)
	if p, err := rdb.XPending(ctx, "in", "g").Result(); err == nil {
		held = p.Consumers["w1"]
	}
	killedAt := time.Since(start)
	for results() < total {
		time.Sleep(20 * time.Millisecond)
	}
	allDone := time.Since(start)
	for _, wp := range ws[1:] {
		wp.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, wp := range ws[1:] {
		<-wp.done
	}
	// Check: one result per input id, equal to spamtrace -json.
	inputs, _ := rdb.XRange(ctx, "in", "-", "+").Result()
	res, _ := rdb.XRange(ctx, "in:results", "-", "+").Result()
	dead, _ := rdb.XRange(ctx, "in:dead", "-", "+").Result()
	perID := map[string]int{}
	perConsumer := map[string]int{}
	firstMs, lastMs := map[string]int64{}, map[string]int64{}
	mismatch := 0
	for _, r := range res {
		id, _ := r.Values["id"].(string)
		perID[id]++
		cons, _ := r.Values["consumer"].(string)
		perConsumer[cons]++
		ms, _ := strconv.ParseInt(r.ID[:strings.IndexByte(r.ID, '-')], 10, 64)
		if _, ok := firstMs[cons]; !ok {
			firstMs[cons] = ms
		}
		lastMs[cons] = ms
		js, _ := r.Values["json"].(string)
		var v struct{ Position int }
		json.Unmarshal([]byte(js), &v)
		if want[v.Position] != js {
			if mismatch == 0 {
				fmt.Printf("  first difference, position %d:\n    worker: %.600s\n    -json:  %.600s\n", v.Position, js, want[v.Position])
			}
			mismatch++
		}
	}
	missing, dup := 0, 0
	deadIDs := map[string]bool{}
	for _, d := range dead {
		id, _ := d.Values["id"].(string)
		deadIDs[id] = true
	}
	for _, m := range inputs {
		switch c := perID[m.ID]; {
		case c == 0 && !deadIDs[m.ID]:
			missing++
		case c > 1:
			dup++
		}
	}
	fmt.Printf("  w1 killed at %.1fs holding %d unacknowledged entries; all %d done at %.1fs (enqueue to last result)\n", killedAt.Seconds(), held, total, allDone.Seconds())
	fmt.Printf("  inputs %d, results %d, dead letters %d; inputs without a result %d, with more than one %d; results differing from spamtrace -json %d\n",
		len(inputs), len(res), len(dead), missing, dup, mismatch)
	for _, d := range dead {
		fmt.Printf("  dead letter %v: %v\n", d.Values["id"], d.Values["reason"])
	}
	// Throughput while there were fresh entries: up to the result that
	// left only the killed worker's entries (which wait -claim-after).
	var freshEnd int64
	if k := len(res) - int(held) - 1; k >= 0 && k < len(res) {
		freshEnd, _ = strconv.ParseInt(res[k].ID[:strings.IndexByte(res[k].ID, '-')], 10, 64)
	}
	fresh := map[string]int{}
	for _, r := range res {
		ms, _ := strconv.ParseInt(r.ID[:strings.IndexByte(r.ID, '-')], 10, 64)
		if ms <= freshEnd {
			cons, _ := r.Values["consumer"].(string)
			fresh[cons]++
		}
	}
	for i, wp := range ws {
		end := min(lastMs[wp.name], freshEnd)
		busy := time.Duration(end-firstMs[wp.name]+1) * time.Millisecond
		fmt.Printf("  %s: %d results; %d of them in %.2fs while fresh entries lasted: %.0f messages/s", wp.name, perConsumer[wp.name], fresh[wp.name], busy.Seconds(), float64(fresh[wp.name])/busy.Seconds())
		if i == 0 {
			fmt.Printf(" (until killed)\n")
		} else {
			line := strings.TrimSpace(wp.stderr.String())
			if j := strings.LastIndex(line, "\n"); j >= 0 {
				line = line[j+1:]
			}
			fmt.Printf("; it said: %s\n", line)
		}
	}
	fmt.Println()
}
