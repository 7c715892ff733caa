package mailbox

import (
	"bytes"
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

// splitMemory (a whole file in memory) and readStream (a stream) must give
// the same messages for the same bytes.
func checkSameSplit(t *testing.T, input string, opt *Options) {
	t.Helper()
	var streamed, split []Message
	readStream("f", strings.NewReader(input), opt, func(m Message) bool {
		streamed = append(streamed, m)
		return true
	})
	borrowed := Options{Borrow: true}
	if opt != nil {
		borrowed = *opt
		borrowed.Borrow = true
	}
	splitMemory("f", []byte(input), &borrowed, func(m Message) bool {
		m.Data = bytes.Clone(m.Data)
		split = append(split, m)
		return true
	})
	if len(streamed) != len(split) {
		t.Fatalf("%q: stream gives %d messages, memory %d", input, len(streamed), len(split))
	}
	for i := range streamed {
		a, b := streamed[i], split[i]
		if a.Position != b.Position || string(a.Data) != string(b.Data) || (a.Err == nil) != (b.Err == nil) {
			t.Errorf("%q (%+v) message %d:\nstream %d %q %v\nmemory %d %q %v", input, opt, i, a.Position, a.Data, a.Err, b.Position, b.Data, b.Err)
		}
	}
}

var splitSeeds = []string{
	"",
	"\n",
	"\r\n\r\nbody",
	"Subject: x\n\nbody\n",
	"Subject: x\r\n\r\nbody\r\n\r\n",
	"Subject: x\nno blank line",
	"From a\n",
	"From a",
	"From a\nFrom b\nSubject: y\n\n",
	"From a\nSubject: one\n\n>From here\n>>From there\nFrom-not\n\nFrom c\nSubject: two\n\nbody\n",
	"From a\n>From: quoted header\nSubject: q\n\nbody\n\n",
	"From a\nSubject: one\n\nbody\n\n\nFrom b\n\n\n",
	"From a\nSubject: long header line over the cap\nX: y\n\nbody\n",
	"From a\r\nSubject: crlf\r\n\r\nbody\r\n\r\nFrom b\r\nSubject: c\r\n\r\n",
	"From a\n\nFrom b\n\n",
	"Subject: one\n\nFrom inside a body of a plain message\n",
}

func TestSplitMemoryMatchesStream(t *testing.T) {
	for _, in := range splitSeeds {
		for _, opt := range []*Options{nil, {HeaderOnly: true}, {MaxMessageBytes: 20}, {MaxMessageBytes: 20, HeaderOnly: true}} {
			checkSameSplit(t, in, opt)
		}
	}
}

func FuzzSplitMemoryMatchesStream(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s, false, 0)
		f.Add(s, true, 20)
	}
	f.Fuzz(func(t *testing.T, in string, headerOnly bool, max int) {
		if max < 0 || max > 1<<20 {
			max = 0
		}
		checkSameSplit(t, in, &Options{HeaderOnly: headerOnly, MaxMessageBytes: max})
	})
}

// readFile takes the in-memory path for small files, stops a message
// file at its header block, and streams files past maxInMemory; all three
// give what a stream gives.
func TestReadFileSizes(t *testing.T) {
	defer func(m int) { maxInMemory = m }(maxInMemory)
	maxInMemory = 256 << 10
	dir := t.TempDir()
	body := strings.Repeat("body line\n", (maxInMemory+firstChunk)/10)
	cases := map[string]string{
		"small.eml":  "Subject: s\n\n" + body[:100],
		"header.eml": "Subject: h\n\n" + body,
		"big.mbox":   "From a\nSubject: 1\n\n>From b\n" + body + "\nFrom b\nSubject: 2\n\nx\n",
		"small.mbox": "From a\nSubject: 1\n\nx\n\nFrom b\n>From: q\n\n",
		"mid.mbox":   "From a\nSubject: 1\n\n" + body[:maxInMemory/2] + "\nFrom b\n>From: q\n\n",
		"long.eml":   "Subject: " + strings.Repeat("z", maxInMemory+10) + "\n\nbody",
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []*Options{nil, {HeaderOnly: true}, {HeaderOnly: true, Borrow: true}} {
			var want, got []Message
			readStream(path, strings.NewReader(content), opt, func(m Message) bool { want = append(want, m); return true })
			ReadPath(path, nil, opt, func(m Message) bool {
				m.Data = bytes.Clone(m.Data)
				got = append(got, m)
				return true
			})
			if len(got) != len(want) {
				t.Fatalf("%s %+v: %d messages, want %d", name, opt, len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i].Data, want[i].Data) || got[i].Position != want[i].Position || got[i].Err != want[i].Err {
					t.Errorf("%s %+v message %d: %d bytes (err %v), want %d (err %v)", name, opt, i, len(got[i].Data), got[i].Err, len(want[i].Data), want[i].Err)
				}
				// an mbox message's end offset, for progress, is the
				// same in memory and streamed
				if want[i].Position > 0 && got[i].End != want[i].End {
					t.Errorf("%s %+v message %d ends at %d, streamed at %d", name, opt, i, got[i].End, want[i].End)
				}
			}
			if last := got[len(got)-1]; last.Position > 0 && last.End != int64(len(content)) {
				t.Errorf("%s: the last message ends at %d of %d bytes", name, last.End, len(content))
			}
		}
	}
}

func TestOpenErrorNamesThePath(t *testing.T) {
	dir := t.TempDir()
	var got []Message
	ReadPath(filepath.Join(dir, "missing"), nil, nil, func(m Message) bool { got = append(got, m); return true })
	if len(got) != 1 || got[0].Err == nil || got[0].Err.Error() != "open "+filepath.Join(dir, "missing")+": no such file or directory" {
		t.Errorf("got %+v", got)
	}
	// A directory opens but cannot be read: the read error is the message's.
	got = nil
	ReadPath(dir, nil, nil, func(m Message) bool { got = append(got, m); return true })
	if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "is a directory") {
		t.Errorf("directory: %+v", got)
	}
}
