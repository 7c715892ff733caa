//go:build unix

package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Entries a walk does not read are passed on with the reason, never
// dropped without a word; links to regular files are read.
func TestPathsSkipsWithAReason(t *testing.T) {
	dir := t.TempDir()
	msg := []byte("Subject: x\n\nbody\n")
	os.WriteFile(filepath.Join(dir, "a.eml"), msg, 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "b.fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "c.dangling"))
	os.Symlink(filepath.Join(dir, "a.eml"), filepath.Join(dir, "d.link"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "e.dirlink"))
	locked := filepath.Join(dir, "f.locked")
	os.Mkdir(locked, 0o000)
	defer os.Chmod(locked, 0o755)

	var got []string
	Paths([]string{dir}, func(p string, err error) bool {
		rel, _ := filepath.Rel(dir, p)
		var se *SkippedError
		switch {
		case err == nil:
			got = append(got, rel)
		case errors.As(err, &se):
			got = append(got, rel+": "+se.Reason)
		default:
			got = append(got, rel+": error "+err.Error())
		}
		return true
	})
	want := []string{
		"a.eml",
		"b.fifo: a named pipe (fifo)",
		"c.dangling: a dangling symbolic link",
		"d.link",
		"e.dirlink: a symbolic link to a directory (not followed)",
	}
	if os.Geteuid() != 0 { // root reads a mode-0 directory all the same
		want = append(want, "f.locked: a directory that cannot be listed")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A fifo named by the caller is read (process substitution, /dev/stdin).
	fifo := filepath.Join(dir, "b.fifo")
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(msg)
			f.Close()
		}
	}()
	msgs := collect(t, []string{fifo}, "", nil)
	if len(msgs) != 1 || msgs[0].Err != nil || string(msgs[0].Data) != string(msg) {
		t.Errorf("named fifo: %+v", msgs)
	}
}
