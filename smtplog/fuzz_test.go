package smtplog

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzReader feeds arbitrary logs to the reader: it must neither panic
// nor hang, return every session once, and count every line.
func FuzzReader(f *testing.F) {
	for _, s := range formatSamples {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/postfix-3.7-live.log"); err == nil {
		f.Add(string(b))
	}
	f.Add("Out: 220 x In: POST / HTTP/1.0 Out: 502 no In: RCPT TO:Out: 554 blocked using bl.example.")
	f.Add("<13>1 - - - - - [a b=\"]\"][c] x\n")
	f.Add("21:30:41 5 SMTP-1() Stream Created\n21:30:41 2 SYSTEM [S.1] <a>\n0+1 From:x\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(strings.NewReader(s), &Config{Year: 2024, MaxOpen: 8, MaxLines: 4, MaxLineBytes: 200, Timeout: time.Minute})
		seen := map[*Session]bool{}
		for {
			sess, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if seen[sess] {
				t.Fatal("session returned twice")
			}
			seen[sess] = true
			// a postscreen session handed to smtpd brings its own lists
			if len(sess.Commands) > 8 || len(sess.Notes) > 8 || len(sess.Unparsed) > 8 || len(sess.Rejections) > 8 || len(sess.RcptTo) > 4 || len(sess.Messages) > 4 || len(sess.Banner) > maxReply {
				t.Fatalf("caps not kept: %d %d %d %d", len(sess.Commands), len(sess.Notes), len(sess.Unparsed), len(sess.Rejections))
			}
		}
		st := r.Stats()
		if st.Sessions != int64(len(seen)) {
			t.Fatalf("stats say %d sessions, got %d", st.Sessions, len(seen))
		}
		lines := int64(strings.Count(s, "\n"))
		if s != "" && !strings.HasSuffix(s, "\n") {
			lines++
		}
		if st.Lines != lines {
			t.Fatalf("read %d lines of %d", st.Lines, lines)
		}
	})
}
