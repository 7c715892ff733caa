// Package redistest runs a real redis-server on loopback for the tests
// and measurement programs that need one: a free port, a temporary
// directory, no persistence (--save ” --appendonly no).
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one running redis-server.
type Server struct {
	Addr string // "127.0.0.1:PORT"
	cmd  *exec.Cmd
	dir  string
	port int
}

// Binary returns the redis-server path, or "" when none is installed.
func Binary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server"
	}
	return ""
}

// Start starts a redis-server on a free loopback port in a new temporary
// directory under dir ("" means os.TempDir) and waits until it answers.
func Start(dir string) (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, errors.New("redistest: redis-server not installed")
	}
	d, err := os.MkdirTemp(dir, "redistest")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: d}
	if err := s.start(bin, 0); err != nil {
		os.RemoveAll(d)
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start(bin string, port int) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		p := port
		if p == 0 {
			if p, err = freePort(); err != nil {
				return err
			}
		}
		cmd := exec.Command(bin, "--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--dir", s.dir,
			"--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
			"--logfile", "")
		cmd.Dir = s.dir
		cmd.SysProcAttr = sysProcAttr()
		if err = cmd.Start(); err != nil {
			return err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		if err = waitPing(addr, 5*time.Second); err == nil {
			s.cmd, s.Addr, s.port = cmd, addr, p
			return nil
		}
		cmd.Process.Kill()
		cmd.Wait()
		if port != 0 {
			break // a fixed port: no other to try
		}
	}
	return fmt.Errorf("redistest: redis-server did not start: %w", err)
}

// waitPing waits until addr answers PING with PONG.
func waitPing(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		var c net.Conn
		c, err = net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprint(c, "PING\r\n")
			var line string
			line, err = bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "+PONG") {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("redistest: PING answered %q", line)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// URL returns redis://ADDR/db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Stop kills the server (SIGKILL: as abrupt as a crash) and waits for it.
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart() error {
	s.Stop()
	return s.start(Binary(), s.port)
}

// Close stops the server and removes its directory.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// ForTest starts a server for t and stops it when t ends. Without a
// redis-server binary it skips t, except under CI=true, where it fails.
func ForTest(t testing.TB) *Server {
	t.Helper()
	if Binary() == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("redistest: redis-server not installed (CI=true: .ci/run installs Debian's redis-server)")
		}
		t.Skip("redis-server not installed")
	}
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
