package received

import (
	"errors"
	"strings"
	"testing"
)

func TestReadMessage(t *testing.T) {
	raw := "From sender@example.org Mon Jan  1 00:00:00 2024\n" +
		"Received: from a.example (a.example [192.0.2.1])\n\tby b.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:02 +0000\n" +
		"Received: from c.example ([192.0.2.3]) by a.example with SMTP; Mon, 1 Jan 2024 00:00:01 +0000\n" +
		"this line has no colon\n" +
		"Subject: hi\n\nbody\nReceived: not a header\n"
	m, err := ReadMessage(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hops) != 2 || m.Hops[0].By.Host != "b.example" || m.Hops[1].From.IPText != "192.0.2.3" {
		t.Fatalf("hops = %+v", m.Hops)
	}
	if m.Header.Get("Subject") != "hi" {
		t.Errorf("the field after a malformed line was lost")
	}
	if len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Error(), "malformed") {
		t.Errorf("errors = %v", m.Errors)
	}
	if _, err := ReadMessage(strings.NewReader(""), nil); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty input: %v", err)
	}
}

// Hostile input gets an answer, bounded by the caps: no panic, no
// unbounded memory.
func TestReadMessageHostile(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(*testing.T, *Message, error)
	}{
		{"20 MB header line", "Received: from " + strings.Repeat("a", 20<<20) + "\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if m == nil || !m.Truncated {
				t.Errorf("not truncated: %v", err)
			}
		}},
		{"100,000 Received headers", strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 100000) + "\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) > 100 || !m.Truncated {
				t.Errorf("hops %d, truncated %v, err %v", len(m.Hops), m.Truncated, err)
			}
		}},
		{"50,000 nested parentheses", "Received: from x " + strings.Repeat("(", 50000) + " by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 {
				t.Errorf("err %v", err)
			}
		}},
		{"NUL bytes", "Received: from x\x00y ([192.0.2.1]) by \x00; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: \x00\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 {
				t.Errorf("err %v", err)
			}
		}},
		{"invalid UTF-8", "Received: from \xff\xfe ([192.0.2.1]) by \xc3\x28; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n", func(t *testing.T, m *Message, err error) {
			if err != nil || m.Hops[0].From.IPText != "192.0.2.1" {
				t.Errorf("err %v", err)
			}
		}},
		{"CR-only line endings", "Received: from a ([192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 +0000\rSubject: hi\r\rbody", func(t *testing.T, m *Message, err error) {
			if err != nil || len(m.Hops) != 1 || m.Header.Get("Subject") != "hi" || strings.Contains(m.Hops[0].Raw, "\r") {
				t.Errorf("hops %+v, err %v", m.Hops, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tt.raw), nil)
			tt.check(t, m, err)
		})
	}
}

func TestReadMessageLimits(t *testing.T) {
	raw := strings.Repeat("Received: from x ([192.0.2.1]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 10) + "\r\n"
	m, err := ReadMessage(strings.NewReader(raw), &Limits{MaxHops: 3, MaxHeaderBytes: 1 << 20})
	if err != nil || len(m.Hops) != 3 || !m.Truncated {
		t.Errorf("MaxHops: %d hops, err %v", len(m.Hops), err)
	}
	m, _ = ReadMessage(strings.NewReader(raw), &Limits{MaxHeaderBytes: 200})
	if !m.Truncated || len(m.Hops) > 3 {
		t.Errorf("MaxHeaderBytes: %d hops, truncated %v", len(m.Hops), m.Truncated)
	}
}
