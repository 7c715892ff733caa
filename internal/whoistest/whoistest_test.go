package whoistest

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestServer(t *testing.T) {
	s, err := Start(func(q string) string { return "% query " + q + "\n" })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("  192.0.2.1 \r\n"))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "% query 192.0.2.1\n" || s.Queries.Load() != 1 {
		t.Errorf("answer %q, %v, %d queries", b, err, s.Queries.Load())
	}
}
