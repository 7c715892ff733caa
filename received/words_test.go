package received

import "testing"

// TestWordsAtATime checks commentRun, which reads eight bytes at a time, against a byte at a time, for every byte value at every place
// of strings of 1 to 24 bytes and every start.
func TestWordsAtATime(t *testing.T) {
	slowComment := func(s string, j int) int {
		for j < len(s) && charClass[s[j]]&ccComment == 0 {
			j++
		}
		return j
	}
	for _, base := range []string{"mail-01.example.co_uk:25", "abcdefghijklmnopqrstuvwx", "(a) (b [c]); d\\(e)f(g)hij"} {
		for n := 1; n <= len(base); n++ {
			for at := 0; at < n; at++ {
				for c := 0; c < 256; c++ {
					b := []byte(base[:n])
					b[at] = byte(c)
					s := string(b)
					for j := 0; j <= n; j++ {
						if got, want := commentRun(s, j), slowComment(s, j); got != want {
							t.Fatalf("commentRun(%q, %d) = %d, want %d", s, j, got, want)
						}
					}
				}
			}
		}
	}
}
