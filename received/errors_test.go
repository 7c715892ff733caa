package received

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseErrorMessages pins each message Parse writes, and the offset and
// clause of each problem, read with errors.As and Unwrap() []error.
func TestParseErrorMessages(t *testing.T) {
	type at struct {
		off    int
		clause Clause
	}
	tests := []struct {
		in   string
		msg  string
		want []at
	}{
		{"", "received: no from, by, with, id or for clause", []at{{0, ClauseNone}}},
		{"junk from x by y; 1 Jan 2024 00:00:00 +0000", `received: unexpected "junk" before the first clause`, []at{{0, ClauseNone}}},
		{"from x by y; not a date at all", `received: date "not a date at all": date has no day, month, year or time of day`, []at{{13, ClauseDate}}},
		{"from x by y; Thu, 22 Aug 2002", `received: date "Thu, 22 Aug 2002": date has no time of day`, []at{{13, ClauseDate}}},
		{"from x by y; Thu, 45 Aug 2002 10:00:00 +0000", `received: date "Thu, 45 Aug 2002 10:00:00 +0000": date field out of range`, []at{{13, ClauseDate}}},
		{"from x by y; 10:00:00", `received: date "10:00:00": date has no day, month and year`, []at{{13, ClauseDate}}},
		{"from x by y; (EST)", `received: date "(EST)": empty date`, []at{{13, ClauseDate}}},
		{"from x (unterminated by y", "received: unterminated comment, literal or quoted string", []at{{7, ClauseFrom}}},
		{`from a by b with "ESMTP id 1`, "received: unterminated comment, literal or quoted string", []at{{17, ClauseWith}}},
		{"from a by b for <x@example.org", "received: unterminated comment, literal or quoted string", []at{{16, ClauseFor}}},
		{"from a by b; Mon, 1 Jan 2024 00:00:00 +0000 (EST", "received: unterminated comment, literal or quoted string", []at{{44, ClauseDate}}},
		// The offset counts from the value given, not from inside the brackets.
		{"  [from a (b by c; 1 Jan 2024 00:00:00 +0000]", "received: unterminated comment, literal or quoted string", []at{{10, ClauseFrom}}},
		{"from x " + strings.Repeat("(", 40) + strings.Repeat(")", 40) + " by y; 1 Jan 2024 00:00:00 +0000", "received: comments nested too deep", []at{{7 + 32, ClauseFrom}}},
		{"from a by b " + strings.Repeat("x ", 70), "received: too many tokens; the rest was not read", []at{{12 + 2*59 + 1, ClauseBy}}},
		{"junk from x by y; yesterday",
			`received: unexpected "junk" before the first clause; date "yesterday": date has no day, month, year or time of day`,
			[]at{{0, ClauseNone}, {18, ClauseDate}}},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%.50q): no error", tt.in)
			continue
		}
		if err.Error() != tt.msg {
			t.Errorf("Parse(%.50q) error\n\t%s\nwant\n\t%s", tt.in, err, tt.msg)
		}
		var first *ParseError
		if !errors.As(err, &first) {
			t.Errorf("Parse(%.50q): errors.As finds no *ParseError in %T", tt.in, err)
			continue
		}
		all := []error{err}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			all = u.Unwrap()
		}
		if len(all) != len(tt.want) {
			t.Errorf("Parse(%.50q): %d problems, want %d", tt.in, len(all), len(tt.want))
			continue
		}
		for i, e := range all {
			pe, ok := e.(*ParseError)
			if !ok {
				t.Errorf("Parse(%.50q): problem %d is a %T", tt.in, i, e)
				continue
			}
			if i == 0 && pe != first {
				t.Errorf("Parse(%.50q): errors.As found %v, not the first problem", tt.in, first)
			}
			if got := (at{pe.Offset, pe.Clause}); got != tt.want[i] {
				t.Errorf("Parse(%.50q): problem %d (%s) at %+v, want %+v", tt.in, i, pe.Reason, got, tt.want[i])
			}
		}
	}
}

// TestParseErrorUnwrapsDate checks that an unreadable date's problem wraps
// ParseDate's *DateError.
func TestParseErrorUnwrapsDate(t *testing.T) {
	_, err := Parse("junk from x by y; yesterday")
	var de *DateError
	if !errors.As(err, &de) {
		t.Fatalf("errors.As finds no *DateError in %v", err)
	}
	if de.Date != "yesterday" || de.Reason != "date has no day, month, year or time of day" {
		t.Errorf("DateError = %+v", *de)
	}
	_, err = Parse("from x (y by z; 1 Jan 2024 00:00:00 +0000")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("errors.As finds no *ParseError in %v", err)
	}
	if pe.Unwrap() != nil || errors.As(err, &de) {
		t.Errorf("a problem without a cause unwraps to %v", pe.Unwrap())
	}
}

// TestParseToError checks that ParseTo returns the same error as Parse.
func TestParseToError(t *testing.T) {
	in := "junk from x by y; yesterday"
	_, want := Parse(in)
	var h Hop
	got := ParseTo(&h, in)
	if got == nil || got.Error() != want.Error() {
		t.Errorf("ParseTo error %v, Parse error %v", got, want)
	}
	var pe *ParseError
	if !errors.As(got, &pe) || pe.Offset != 0 {
		t.Errorf("ParseTo error %v: no *ParseError at 0", got)
	}
}

func ExampleParseError() {
	h, err := Parse("from mail.example.net (mail.example.net [192.0.2.7]) by mx.example.org; yesterday")
	var pe *ParseError
	if errors.As(err, &pe) {
		fmt.Printf("at byte %d, in the %s part: %s\n", pe.Offset, pe.Clause, pe.Reason)
	}
	var de *DateError
	if errors.As(err, &de) {
		fmt.Printf("the date %q: %s\n", de.Date, de.Reason)
	}
	fmt.Println("still read:", h.From.IP, h.By.Host)
	// Output:
	// at byte 72, in the date part: date "yesterday": date has no day, month, year or time of day
	// the date "yesterday": date has no day, month, year or time of day
	// still read: 192.0.2.7 mx.example.org
}
