// Package dnsbreaker stops a run from asking a DNS server that does not
// answer. A [Breaker] sits in a net.Resolver's Dial function: it watches
// each exchange, and once a server has let Limit questions in a row time
// out without a single answer in between, every further question to it
// fails at once with [ErrNotAnswering] instead of waiting out its time-out.
// Without it, a bulk run against a dead server pays the resolver's full
// time-out (5 s, twice) for every question of every message.
//
// A server that answers anything (NXDOMAIN and SERVFAIL included) resets
// its count. When the breaker opens, the questions still waiting on that
// server are ended too. An open breaker stays open for the Breaker's
// lifetime (one run). A Breaker is safe for concurrent use.
package dnsbreaker

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// ErrNotAnswering is the error of a question the breaker did not send.
var ErrNotAnswering = errors.New("dnsbreaker: the DNS server stopped answering; question not sent")

// Breaker is a dial function for net.Resolver. Its zero value dials the
// address the resolver asks for with a net.Dialer.
type Breaker struct {
	// Server, "host:port", receives every question instead of the server
	// the resolver chose. Empty means the resolver's choice.
	Server string

	// Limit is the number of questions in a row a server may leave
	// unanswered before the breaker stops asking it. Zero means 8.
	Limit int

	// OnOpen, when set, is called once per server when the breaker stops
	// asking it, with the server's address and the count.
	OnOpen func(server string, unanswered int)

	mu      sync.Mutex
	servers map[string]*state
}

type state struct {
	unanswered int // in a row
	timeouts   int // in all
	open       bool
	live       map[*conn]struct{} // exchanges under way
}

func (b *Breaker) limit() int {
	if b.Limit > 0 {
		return b.Limit
	}
	return 8
}

// DialContext is the net.Resolver Dial function.
func (b *Breaker) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if b.Server != "" {
		address = b.Server
	}
	st := b.state(address)
	b.mu.Lock()
	open := st.open
	b.mu.Unlock()
	if open {
		return nil, ErrNotAnswering
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	wc := &conn{Conn: c, b: b, st: st, addr: address}
	b.mu.Lock()
	if st.live == nil {
		st.live = map[*conn]struct{}{}
	}
	st.live[wc] = struct{}{}
	b.mu.Unlock()
	// The resolver stops waiting when its caller's context ends, but the
	// read it started waits on until the resolver's own time-out (5 s):
	// end the read too, and count the question as unanswered.
	wc.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	if pc, ok := c.(net.PacketConn); ok {
		// The resolver frames UDP and TCP differently and tells them
		// apart by this interface.
		return &packetConn{conn: wc, pc: pc}, nil
	}
	return wc, nil
}

func (b *Breaker) state(addr string) *state {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.servers == nil {
		b.servers = map[string]*state{}
	}
	st := b.servers[addr]
	if st == nil {
		st = &state{}
		b.servers[addr] = st
	}
	return st
}

// Open reports whether the breaker has stopped asking server.
func (b *Breaker) Open(server string) bool {
	st := b.state(server)
	b.mu.Lock()
	defer b.mu.Unlock()
	return st.open
}

func (b *Breaker) answered(st *state) {
	b.mu.Lock()
	if !st.open {
		st.unanswered = 0
	}
	b.mu.Unlock()
}

func (b *Breaker) timedOut(st *state, addr string) {
	b.mu.Lock()
	st.unanswered++
	st.timeouts++
	opened := !st.open && st.unanswered >= b.limit()
	if opened {
		st.open = true
		// Questions sent while the count was still running would wait
		// out their whole time-out: end them now.
		for c := range st.live {
			c.Conn.SetDeadline(time.Now())
		}
	}
	n := st.unanswered
	b.mu.Unlock()
	if opened && b.OnOpen != nil {
		b.OnOpen(addr, n)
	}
}

// conn counts an exchange as answered when a read returns data, and as
// unanswered when a read times out.
type conn struct {
	net.Conn
	b    *Breaker
	st   *state
	addr string
	done bool
	stop func() bool
}

func (c *conn) Close() error {
	c.stop()
	c.b.mu.Lock()
	delete(c.st.live, c)
	c.b.mu.Unlock()
	return c.Conn.Close()
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.saw(n, err)
	return n, err
}

func (c *conn) saw(n int, err error) {
	if c.done {
		return
	}
	var ne net.Error
	switch {
	case n > 0:
		c.done = true
		c.b.answered(c.st)
	case errors.As(err, &ne) && ne.Timeout():
		c.done = true
		c.b.timedOut(c.st, c.addr)
	}
}

// packetConn is a conn over UDP.
type packetConn struct {
	*conn
	pc net.PacketConn
}

func (c *packetConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := c.pc.ReadFrom(p)
	c.saw(n, err)
	return n, a, err
}

func (c *packetConn) WriteTo(p []byte, a net.Addr) (int, error) { return c.pc.WriteTo(p, a) }
