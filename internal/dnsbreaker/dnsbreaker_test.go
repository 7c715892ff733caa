package dnsbreaker

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// server starts a DNS server on loopback that answers names under
// "up.example." and never answers anything else; it counts the questions
// it received.
func server(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n.Add(1)
		q := r.Question[0]
		if !strings.HasSuffix(q.Name, "up.example.") {
			return // silence: the client waits out its time-out
		}
		m := new(dns.Msg)
		m.SetReply(r)
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), &n
}

// ask sends one question. The resolver returns when the caller's context
// ends, a moment before its exchange sees the read time out: for a
// question that got no answer, ask waits until the breaker has counted it.
func ask(b *Breaker, r *net.Resolver, server, name string) error {
	before := b.seen(server)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := r.LookupNetIP(ctx, "ip4", name)
	if err != nil && !b.Open(server) {
		for deadline := time.Now().Add(5 * time.Second); b.seen(server) == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	return err
}

// seen counts the time-outs the breaker has recorded for server.
func (b *Breaker) seen(server string) int {
	st := b.state(server)
	b.mu.Lock()
	defer b.mu.Unlock()
	return st.timeouts
}

func TestBreakerStopsAskingASilentServer(t *testing.T) {
	addr, questions := server(t)
	var opened []string
	b := &Breaker{Server: addr, Limit: 3, OnOpen: func(s string, n int) { opened = append(opened, s) }}
	r := &net.Resolver{PreferGo: true, Dial: b.DialContext}

	// An answer between silences resets the count.
	for i, name := range []string{"a.down.example.", "b.down.example.", "x.up.example.", "c.down.example.", "d.down.example."} {
		err := ask(b, r, addr, name)
		if up := strings.HasSuffix(name, "up.example."); up != (err == nil) {
			t.Fatalf("question %d (%s): %v", i, name, err)
		}
	}
	if b.Open(addr) || len(opened) != 0 {
		t.Fatalf("open after two silences in a row")
	}
	if err := ask(b, r, addr, "e.down.example."); err == nil {
		t.Fatal("answer from a silent name")
	}
	if !b.Open(addr) || len(opened) != 1 || opened[0] != addr {
		t.Fatalf("open %v, OnOpen calls %v", b.Open(addr), opened)
	}
	before := questions.Load()
	// Now nothing is sent: even a name the server would answer fails at
	// once, with the breaker's reason in the resolver's error.
	for _, name := range []string{"f.down.example.", "y.up.example.", "g.down.example."} {
		err := ask(b, r, addr, name)
		if err == nil || !strings.Contains(err.Error(), ErrNotAnswering.Error()) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := questions.Load(); got != before {
		t.Errorf("%d questions sent after the breaker opened", got-before)
	}
	if len(opened) != 1 {
		t.Errorf("OnOpen called %d times, want once", len(opened))
	}
}

// Without Server the breaker dials what the resolver chose, and keeps one
// count per server.
func TestBreakerPerServer(t *testing.T) {
	silent, _ := server(t)
	b := &Breaker{Limit: 1}
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return b.DialContext(ctx, network, silent)
	}
	r := &net.Resolver{PreferGo: true, Dial: dial}
	ask(b, r, silent, "a.down.example.")
	if !b.Open(silent) || b.Open("192.0.2.53:53") {
		t.Errorf("open: silent %v, other %v", b.Open(silent), b.Open("192.0.2.53:53"))
	}
}
