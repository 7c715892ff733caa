//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Files the walk skips are named on stderr and counted in -summary; a
// file named on the command line that cannot be read is too (and keeps
// its error record and exit status 2).
func TestSkippedFilesNamed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.eml"), []byte(readFile(t, sample("gmail-to-postfix.eml"))), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "b.fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(dir, "gone.eml"), filepath.Join(dir, "c.eml"))
	out, errOut, code := runCmd(t, "", "-json", "-summary", dir)
	if code != 0 {
		t.Errorf("exit %d, want 0 (skipped entries are not errors)", code)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("records:\n%s", out)
	}
	for _, want := range []string{
		"spamtrace: skipped " + filepath.Join(dir, "b.fifo") + ": a named pipe (fifo)\n",
		"spamtrace: skipped " + filepath.Join(dir, "c.eml") + ": a dangling symbolic link\n",
		"files not read: 2\n",
		"      1  a dangling symbolic link\n",
		"      1  a named pipe (fifo)\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	missing := filepath.Join(dir, "missing.eml")
	out, errOut, code = runCmd(t, "", "-summary", missing, sample("gmail-to-postfix.eml"))
	if code != 2 || !strings.Contains(errOut, "spamtrace: not read: stat "+missing+": no such file or directory\n") ||
		!strings.Contains(out, "files not read: 1\n      1  no such file\n") || !strings.Contains(out, "error: stat "+missing) {
		t.Errorf("exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
}
