// Package whoistest runs real RFC 3912 whois servers on loopback, for the
// tests and measurement programs that must not reach a registry.
package whoistest

import (
	"bufio"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

// Silent is the answer that makes the server hold the connection for three
// seconds and close it without a word, as an overloaded registry does.
const Silent = "<silent>"

// Server reads one query line per connection, writes what its answer
// function returns and closes the connection.
type Server struct {
	ln net.Listener
	// Queries counts the query lines read.
	Queries atomic.Int64
}

// Start listens on a loopback port and serves answer(query), the query
// being the request line without spaces around it or its line ending.
func Start(answer func(query string) string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn, answer)
		}
	}()
	return s, nil
}

func (s *Server) serve(conn net.Conn, answer func(string) string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	s.Queries.Add(1)
	a := answer(strings.TrimSpace(line))
	if a == Silent {
		time.Sleep(3 * time.Second)
		return
	}
	conn.Write([]byte(a))
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server; connections being served finish.
func (s *Server) Close() error { return s.ln.Close() }
