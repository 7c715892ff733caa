package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spamtrace/spamtrace/internal/redistest"
)

func newRedis(t *testing.T, rs *redistest.Server) *redis.Client {
	t.Helper()
	opt, _ := redis.ParseURL(rs.URL(0))
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// queueInputs writes a directory of messages, an mbox and a Maildir.
func queueInputs(t *testing.T, n int) []string {
	t.Helper()
	dir := writeMessages(t, n)
	mbox := filepath.Join(t.TempDir(), "box.mbox")
	var b strings.Builder
	for i := range 3 {
		fmt.Fprintf(&b, "From x@example.org Tue Mar 12 09:14:31 2024\nReceived: from c (c [81.2.70.%d]) by mx.example.org with SMTP id B%d; Tue, 12 Mar 2024 09:14:31 +0000\nSubject: box %d\n\nbody\n\n", i+1, i, i)
	}
	os.WriteFile(mbox, []byte(b.String()), 0o644)
	md := filepath.Join(t.TempDir(), "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	os.WriteFile(filepath.Join(md, "new", "1.eml"), []byte("Received: from c (c [81.2.71.1]) by mx.example.org with SMTP id M1; Tue, 12 Mar 2024 09:14:31 +0000\nSubject: maildir\n\n"), 0o644)
	return []string{dir, mbox, md}
}

type resultEntry struct {
	id, consumer, json string
}

func readStream(t *testing.T, rdb *redis.Client, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// checkResults checks that every input id has exactly one result and that
// each is the object "spamtrace -json" prints for the same message.
func checkResults(t *testing.T, rdb *redis.Client, in string, want map[string]string, dead int) {
	t.Helper()
	inputs := readStream(t, rdb, in)
	results := readStream(t, rdb, in+":results")
	deads := readStream(t, rdb, in+":dead")
	if len(deads) != dead {
		t.Errorf("%d dead letters, want %d: %v", len(deads), dead, deads)
	}
	count := map[string]int{}
	for _, r := range results {
		id, _ := r.Values["id"].(string)
		count[id]++
		js, _ := r.Values["json"].(string)
		var v struct {
			File     string
			Position int
		}
		if err := json.Unmarshal([]byte(js), &v); err != nil {
			t.Fatalf("result %s: %v", id, err)
		}
		key := fmt.Sprintf("%s#%d", v.File, v.Position)
		if w, ok := want[key]; ok && w != js {
			t.Errorf("result for %s differs from spamtrace -json:\n%s\n%s", key, js, w)
		} else if !ok {
			t.Errorf("result for %s, which was not enqueued", key)
		}
	}
	for _, m := range inputs {
		if count[m.ID] != 1 && len(deads) == 0 {
			t.Errorf("input %s has %d results, want 1", m.ID, count[m.ID])
		}
	}
	if len(results)+len(deads) != len(inputs) {
		t.Errorf("%d results and %d dead letters for %d inputs", len(results), len(deads), len(inputs))
	}
}

// wantJSON runs "spamtrace -json" on paths and indexes the objects by file
// and position.
func wantJSON(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out, errOut, code := runCmd(t, "", append([]string{"-json"}, args...)...)
	if code != 0 {
		t.Fatalf("spamtrace -json: exit %d: %s", code, errOut)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v struct {
			File     string
			Position int
		}
		json.Unmarshal(sc.Bytes(), &v)
		want[fmt.Sprintf("%s#%d", v.File, v.Position)] = sc.Text()
	}
	return want
}

// enqueue, then one worker in this process: every message traced once,
// with the object spamtrace -json prints.
func TestEnqueueAndWorker(t *testing.T) {
	rs := redistest.ForTest(t)
	rdb := newRedis(t, rs)
	paths := queueInputs(t, 30)
	want := wantJSON(t, paths...)
	if len(want) != 34 {
		t.Fatalf("%d messages in the inputs, want 34", len(want))
	}
	out, errOut, code := runCmd(t, "", append([]string{"enqueue", "-redis", rs.URL(0), "-stream", "in", "-ids"}, paths...)...)
	if code != 0 || !strings.Contains(errOut, "34 messages on in") {
		t.Fatalf("enqueue: exit %d: %s", code, errOut)
	}
	if ids := strings.Fields(out); len(ids) != 34 {
		t.Errorf("enqueue -ids printed %d ids", len(ids))
	}
	_, errOut, code = runCmd(t, "", "worker", "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-consumer", "w1", "-exit-idle", "300ms", "-workers", "3")
	if code != 0 || !strings.Contains(errOut, "w1: 34 traced (0 taken over from other consumers), 0 duplicate results dropped, 0 dead letters") {
		t.Fatalf("worker: exit %d: %s", code, errOut)
	}
	checkResults(t, rdb, "in", want, 0)
	if n := pendingCount(rdb, "in", "g"); n != 0 {
		t.Errorf("%d entries left pending", n)
	}
	// a second worker finds nothing to do
	_, errOut, _ = runCmd(t, "", "worker", "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-consumer", "w2", "-exit-idle", "100ms")
	if !strings.Contains(errOut, "w2: 0 traced") {
		t.Errorf("second worker: %s", errOut)
	}
	for _, args := range [][]string{
		{"worker", "-stream", "in", "-group", "g"},
		{"worker", "-redis", rs.URL(0), "-group", "g"},
		{"worker", "-redis", rs.URL(0), "-stream", "in"},
		{"worker", "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-claim-after", "1s", "-timeout", "1s"},
		{"enqueue", "-redis", rs.URL(0), "-stream", "in"},
		{"enqueue", "-redis", "mysql://x", "-stream", "in", paths[0]},
	} {
		if _, errOut, code := runCmd(t, "", args...); code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: exit %d, %q; want a usage error", args, code, errOut)
		}
	}
}

// Poison messages: one whose trace times out twice, one whose consumers
// died twice before acknowledging it. Both end in the dead-letter stream
// with the reason; the others are traced. (The time-out is long because
// the whois server answers for RIPE space, which the netblock client
// spaces by half a second.)
func TestWorkerDeadLetters(t *testing.T) {
	rs := redistest.ForTest(t)
	rdb := newRedis(t, rs)
	ctx := context.Background()
	ls := startLookupServers(t, 0, "81.2.70.2")
	paths := queueInputs(t, 4)
	lookupArgs := []string{"-resolve", "-dns-server", ls.dns, "-whois-server", ls.whois}
	if _, errOut, code := runCmd(t, "", append([]string{"enqueue", "-redis", rs.URL(0), "-stream", "in"}, paths...)...); code != 0 {
		t.Fatal(errOut)
	}
	// Two consumers that took the first entry and died.
	rdb.XGroupCreate(ctx, "in", "g", "0")
	first := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "ghost1", Streams: []string{"in", ">"}, Count: 1}).Val()[0].Messages[0]
	rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "in", Group: "g", Consumer: "ghost2", Messages: []string{first.ID}})
	time.Sleep(3100 * time.Millisecond) // idle past -claim-after
	_, errOut, code := runCmd(t, "", append([]string{"worker", "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-consumer", "w",
		"-exit-idle", "500ms", "-claim-after", "3s", "-timeout", "2500ms"}, lookupArgs...)...)
	if code != 0 {
		t.Fatalf("worker: exit %d: %s", code, errOut)
	}
	deads := readStream(t, rdb, "in:dead")
	if len(deads) != 2 {
		t.Fatalf("%d dead letters, want 2; stderr:\n%s", len(deads), errOut)
	}
	reasons := map[string]string{}
	for _, d := range deads {
		reasons[d.Values["id"].(string)] = d.Values["reason"].(string)
		if d.Values["raw"] == nil || d.Values["file"] == nil {
			t.Errorf("dead letter without the message: %v", d.Values)
		}
	}
	if r := reasons[first.ID]; !strings.Contains(r, "delivered 2 times and never acknowledged") {
		t.Errorf("dead consumers' entry: reason %q", r)
	}
	var timedOut string
	for id, r := range reasons {
		if id != first.ID {
			timedOut = r
		}
	}
	if !strings.Contains(timedOut, "timed out after 2.5s (attempt 2 of 2)") {
		t.Errorf("timed-out entry: reason %q", timedOut)
	}
	results := readStream(t, rdb, "in:results")
	if len(results) != len(readStream(t, rdb, "in"))-2 {
		t.Errorf("%d results", len(results))
	}
	if n := pendingCount(rdb, "in", "g"); n != 0 {
		t.Errorf("%d entries left pending", n)
	}
}

type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's, once done
}

// wait waits up to d for the process to exit.
func (p *proc) wait(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

func startWorker(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, append([]string{"worker"}, args...)...), done: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("worker %v stderr:\n%s", p.cmd.Args, p.stderr.String())
		}
	})
	return p
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three worker processes, one killed with SIGKILL midway and not
// restarted: every input has exactly one result, the killed worker's
// entries are taken over, and SIGTERM stops the others cleanly.
func TestWorkersOneKilled(t *testing.T) {
	rs := redistest.ForTest(t)
	bin := buildBinary(t)
	rdb := newRedis(t, rs)
	ctx := context.Background()
	ls := startLookupServers(t, 10*time.Millisecond, "")
	paths := queueInputs(t, 200)
	lookupArgs := []string{"-resolve", "-dns-server", ls.dns, "-whois-server", ls.whois, "-dnsbl", "bl.test"}
	want := wantJSON(t, append(lookupArgs, paths...)...)
	if _, errOut, code := runCmd(t, "", append([]string{"enqueue", "-redis", rs.URL(0), "-stream", "in"}, paths...)...); code != 0 {
		t.Fatal(errOut)
	}
	var ws []*proc
	for i := range 3 {
		ws = append(ws, startWorker(t, bin, append([]string{"-redis", rs.URL(0), "-stream", "in", "-group", "g",
			"-consumer", fmt.Sprintf("w%d", i), "-claim-after", "6s", "-timeout", "5s", "-cache", rs.URL(1)}, lookupArgs...)...))
	}
	total := int64(len(want))
	results := func() int64 { return rdb.XLen(ctx, "in:results").Val() }
	waitFor(t, 30*time.Second, "a third of the results", func() bool { return results() >= total/3 })
	pendingOf := func(c string) int64 {
		p, err := rdb.XPending(ctx, "in", "g").Result()
		if err != nil {
			return 0
		}
		return p.Consumers[c]
	}
	waitFor(t, 10*time.Second, "w0 to hold entries", func() bool { return pendingOf("w0") > 0 })
	ws[0].cmd.Process.Signal(syscall.SIGKILL)
	ws[0].wait(10 * time.Second)
	held := pendingOf("w0")
	if held == 0 {
		t.Fatal("w0 held nothing when it was killed")
	}
	waitFor(t, 90*time.Second, "all results", func() bool { return results() >= total })
	for _, w := range ws[1:] {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	reclaimed := 0
	for _, w := range ws[1:] {
		err, ok := w.wait(10 * time.Second)
		if !ok {
			t.Fatal("a worker did not stop on SIGTERM")
		}
		if err != nil {
			t.Errorf("worker after SIGTERM: %v\n%s", err, w.stderr.String())
		}
		n, r, ok := workerStats(w.stderr.String())
		if !ok || n == 0 {
			t.Errorf("worker stats: %q", w.stderr.String())
		}
		reclaimed += r
	}
	if int64(reclaimed) < held {
		t.Errorf("%d entries taken over, but w0 held %d", reclaimed, held)
	}
	checkResults(t, rdb, "in", want, 0)
	if n := pendingCount(rdb, "in", "g"); n != 0 {
		t.Errorf("%d entries left pending", n)
	}
}

// SIGTERM while a message is being traced: the worker finishes it, writes
// the result, acknowledges and exits.
func TestWorkerSIGTERMFinishesCurrent(t *testing.T) {
	rs := redistest.ForTest(t)
	bin := buildBinary(t)
	rdb := newRedis(t, rs)
	ctx := context.Background()
	ls := startLookupServers(t, 400*time.Millisecond, "")
	dir := writeMessages(t, 1)
	if _, errOut, code := runCmd(t, "", "enqueue", "-redis", rs.URL(0), "-stream", "in", dir); code != 0 {
		t.Fatal(errOut)
	}
	w := startWorker(t, bin, "-redis", rs.URL(0), "-stream", "in", "-group", "g", "-consumer", "w", "-workers", "1",
		"-resolve", "-dns-server", ls.dns, "-whois-server", ls.whois)
	waitFor(t, 10*time.Second, "the entry to be taken", func() bool { return pendingCount(rdb, "in", "g") == 1 })
	w.cmd.Process.Signal(syscall.SIGTERM)
	err, ok := w.wait(15 * time.Second)
	if !ok {
		t.Fatal("no exit after SIGTERM")
	}
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, w.stderr.String())
	}
	if n := rdb.XLen(ctx, "in:results").Val(); n != 1 {
		t.Errorf("%d results after SIGTERM, want 1: %s", n, w.stderr.String())
	}
	if n := pendingCount(rdb, "in", "g"); n != 0 {
		t.Errorf("%d entries left pending", n)
	}
}

// workerStats reads the traced and taken-over counts of a worker's last
// line.
func workerStats(stderr string) (traced, reclaimed int, ok bool) {
	for _, line := range strings.Split(stderr, "\n") {
		i := strings.Index(line, " traced (")
		if i < 0 {
			continue
		}
		j := strings.LastIndex(line[:i], " ")
		if _, err := fmt.Sscanf(line[j+1:], "%d traced (%d taken over", &traced, &reclaimed); err == nil {
			ok = true
		}
	}
	return
}

// pendingCount is the group's count of entries delivered and not
// acknowledged; 0 when the group does not exist yet.
func pendingCount(rdb *redis.Client, stream, group string) int64 {
	p, err := rdb.XPending(context.Background(), stream, group).Result()
	if err != nil {
		return 0
	}
	return p.Count
}
