//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The bar on a real terminal (tmux, 100 columns), caught while the run
// waits on a fifo: files done/found, bytes, rate and time left; gone from
// the screen once the run ends.
func TestProgressBarOnATerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI installs it)")
		}
		t.Skip("tmux not installed")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	msg := readFile(t, sample("forged-spam.eml"))
	var mbox strings.Builder
	for i := 0; i < 300; i++ {
		mbox.WriteString("From sender@example.org Mon Jan  1 00:00:00 2024\n" + msg + "\n")
	}
	box := filepath.Join(dir, "big.mbox")
	os.WriteFile(box, []byte(mbox.String()), 0o644)
	fifo := filepath.Join(dir, "slow.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := filepath.Join(dir, "done")
	sock := filepath.Join(dir, "tmux.sock")
	script := fmt.Sprintf("%s -json %s %s > %s; touch %s; sleep 60", bin, box, fifo, filepath.Join(dir, "out.jsonl"), done)
	if out, err := exec.Command(tmux, "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "10", "sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	defer exec.Command(tmux, "-S", sock, "kill-server").Run()
	capture := func() string {
		s, _ := exec.Command(tmux, "-S", sock, "capture-pane", "-p", "-t", "0").Output()
		return strings.TrimRight(string(s), "\n ")
	}
	var screen string
	for i := 0; i < 200; i++ {
		if screen = capture(); strings.Contains(screen, "1/2 files") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(screen, "1/2 files") || !strings.Contains(screen, "B/s") || !strings.Contains(screen, "%") || !strings.Contains(screen, "kB") {
		t.Errorf("no bar while the run waits:\n%s", screen)
	}
	t.Logf("the screen while the run waits on the fifo:\n%s", screen)
	if path := os.Getenv("SPAMTRACE_PROGRESS_SCREEN"); path != "" {
		os.WriteFile(path, []byte(screen+"\n"), 0o644)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(msg)
	w.Close()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(done); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if end := capture(); end != "" {
		t.Errorf("the screen after the run is not clear:\n%q", end)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.jsonl")); strings.Count(string(b), "\n") != 301 {
		t.Errorf("%d records", strings.Count(string(b), "\n"))
	}
}
