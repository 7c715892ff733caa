package mailbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func collect(t *testing.T, paths []string, stdin string, opt *Options) []Message {
	t.Helper()
	var out []Message
	Walk(paths, strings.NewReader(stdin), opt, func(m Message) bool {
		out = append(out, m)
		return true
	})
	return out
}

func TestMboxrdUnquoting(t *testing.T) {
	mbox := "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n>>From there\nFrom-not-a-separator\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\n"
	path := filepath.Join(t.TempDir(), "m.mbox")
	os.WriteFile(path, []byte(mbox), 0o644)
	msgs := collect(t, []string{path}, "", nil)
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	want := "Subject: one\n\nFrom here\n>From there\nFrom-not-a-separator\n"
	if string(msgs[0].Data) != want || msgs[0].Position != 1 {
		t.Errorf("message 1 = %q", msgs[0].Data)
	}
	if string(msgs[1].Data) != "Subject: two\n\nbody\n" || msgs[1].Position != 2 {
		t.Errorf("message 2 = %q", msgs[1].Data)
	}
	// HeaderOnly keeps the header block.
	msgs = collect(t, []string{path}, "", &Options{HeaderOnly: true})
	if string(msgs[0].Data) != "Subject: one\n\n" {
		t.Errorf("header only = %q", msgs[0].Data)
	}
}

func TestMaildirAndDirectories(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "mail", "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	os.WriteFile(filepath.Join(md, "new", "a"), []byte("Subject: a\n\n"), 0o644)
	os.WriteFile(filepath.Join(md, "cur", "b:2,S"), []byte("Subject: b\n\n"), 0o644)
	os.WriteFile(filepath.Join(md, "tmp", "c"), []byte("Subject: c\n\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "mail", "loose.eml"), []byte("Subject: d\n\n"), 0o644)
	msgs := collect(t, []string{md}, "", nil)
	if len(msgs) != 2 || !strings.HasSuffix(msgs[0].File, "new/a") || !strings.HasSuffix(msgs[1].File, "cur/b:2,S") {
		t.Errorf("maildir: %+v", msgs)
	}
	msgs = collect(t, []string{dir}, "", nil)
	if len(msgs) != 3 {
		var names []string
		for _, m := range msgs {
			names = append(names, m.File)
		}
		t.Errorf("directory walk found %v; want the loose file and the Maildir's cur and new, not tmp", names)
	}
}

func TestLimitsAndErrors(t *testing.T) {
	big := "Subject: x\n\n" + strings.Repeat("y", 1000)
	msgs := collect(t, []string{"-"}, big, &Options{MaxMessageBytes: 100})
	if len(msgs) != 1 || msgs[0].Err == nil || len(msgs[0].Data) != 100 {
		t.Errorf("cap: %d bytes, err %v", len(msgs[0].Data), msgs[0].Err)
	}
	msgs = collect(t, []string{"/nonexistent"}, "", nil)
	if len(msgs) != 1 || msgs[0].Err == nil {
		t.Errorf("missing file: %+v", msgs)
	}
	// A header line longer than the read buffer survives HeaderOnly.
	long := "Subject: " + strings.Repeat("z", 200000) + "\n\nbody"
	msgs = collect(t, []string{"-"}, long, &Options{HeaderOnly: true})
	if len(msgs[0].Data) != len(long)-4 {
		t.Errorf("long header: %d bytes, want %d", len(msgs[0].Data), len(long)-4)
	}
}
