package trace

import (
	"strconv"
	"strings"
	"testing"
)

// Texts made earlier keep their bytes however many are made after them,
// across chunks, and a text longer than a chunk gets one of its own.
func TestTextsJoin(t *testing.T) {
	var tb texts
	var got, want []string
	for i := range 400 {
		n := strconv.Itoa(i)
		parts := []string{"hop ", n, " says ", strings.Repeat("x", i%37)}
		if i%100 == 99 {
			parts = append(parts, strings.Repeat("long", textChunk))
		}
		got = append(got, tb.join(parts...))
		want = append(want, strings.Join(parts, ""))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("text %d is %q, want %q", i, got[i], want[i])
		}
	}
	if s := tb.join(); s != "" {
		t.Fatalf("join() = %q", s)
	}
	if s := tb.join("", ""); s != "" {
		t.Fatalf(`join("", "") = %q`, s)
	}
}

// Texts that fit in a chunk cost one allocation together, not one each.
func TestTextsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	host := "mail.example.org"
	n := textChunk / len("reverse DNS "+host+" names the older hop's server")
	allocs := testing.AllocsPerRun(100, func() {
		var tb texts
		for range n {
			_ = tb.join("reverse DNS ", host, " names the older hop's server")
		}
	})
	if allocs != 1 {
		t.Fatalf("%v allocations for %d texts, want 1", allocs, n)
	}
}
