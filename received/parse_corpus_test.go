package received

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// TestCorpusCoverage measures the parser on a file of Received values, one
// per line (unfolded), named by $SPAMTRACE_RECEIVED. It is skipped when the
// variable is unset: the corpus is not shipped with the repository.
func TestCorpusCoverage(t *testing.T) {
	path := os.Getenv("SPAMTRACE_RECEIVED")
	if path == "" {
		t.Skip("SPAMTRACE_RECEIVED not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var total, errs, withDate, dateOK, withLit, litOK int
	for sc.Scan() {
		v := sc.Text()
		total++
		h, err := Parse(v)
		if err != nil {
			errs++
			if testing.Verbose() {
				t.Logf("ERR %v\n\t%s", err, v)
			}
		}
		if carriesDate(v) {
			withDate++
			if !h.Date.IsZero() {
				dateOK++
			} else if testing.Verbose() {
				t.Logf("NODATE %q\n\t%s", h.DateText, v)
			}
		}
		if fromPartHasLiteral(v) {
			withLit++
			if h.From.IPText != "" {
				litOK++
			} else if testing.Verbose() {
				t.Logf("NOIP %s", v)
			}
		}
	}
	t.Logf("headers %d, errors %d (%.2f%%)", total, errs, pct(errs, total))
	t.Logf("date: %d of %d carrying one (%.3f%%)", dateOK, withDate, pct(dateOK, withDate))
	t.Logf("from-part IP literal: %d of %d (%.3f%%)", litOK, withLit, pct(litOK, withLit))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// carriesDate reports whether v holds something date-like: a month name
// and an hh:mm time.
func carriesDate(v string) bool {
	hasMonth := false
	for _, m := range []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"} {
		if strings.Contains(v, " "+m+" ") || strings.Contains(v, " "+m+",") {
			hasMonth = true
			break
		}
	}
	if !hasMonth {
		return false
	}
	for i := 2; i+2 < len(v); i++ {
		if v[i] == ':' && isDigit(v[i-1]) && isDigit(v[i-2]) && isDigit(v[i+1]) && isDigit(v[i+2]) {
			return true
		}
	}
	return false
}

// fromPartHasLiteral reports whether the part of v before " by " holds a
// bracketed or bare dotted-quad-like literal.
func fromPartHasLiteral(v string) bool {
	if !ascii.HasPrefixFold(strings.TrimSpace(v), "from") {
		return false
	}
	end := ascii.IndexFold(v, " by ")
	if end < 0 {
		end = ascii.IndexFold(v, "\tby ")
	}
	if end < 0 {
		end = len(v)
	}
	fp := v[:end]
	for i := 0; i < len(fp); i++ {
		if fp[i] != '[' && (i == 0 || fp[i-1] != ' ' && fp[i-1] != '(') {
			continue
		}
		j := i
		if fp[j] == '[' {
			j++
		}
		k := j
		dots := 0
		for k < len(fp) && (isDigit(fp[k]) || fp[k] == '.') {
			if fp[k] == '.' {
				dots++
			}
			k++
		}
		if dots == 3 && k-j >= 7 {
			return true
		}
		if fp[i] == '[' && k < len(fp) && (fp[k] == ':' || isHex(fp[k])) && strings.IndexByte(fp[i:], ']') > 0 {
			lit := fp[i+1 : i+strings.IndexByte(fp[i:], ']')]
			if _, form := ParseIPLiteral(lit); form != IPFormNone {
				return true
			}
		}
	}
	return false
}

// BenchmarkParseCorpus parses every header of $SPAMTRACE_RECEIVED (one
// unfolded value per line) per iteration and reports headers per second.
func BenchmarkParseCorpus(b *testing.B) {
	path := os.Getenv("SPAMTRACE_RECEIVED")
	if path == "" {
		b.Skip("SPAMTRACE_RECEIVED not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, v := range lines {
			_, _ = Parse(v)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(lines))/b.Elapsed().Seconds(), "headers/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(lines)), "ns/header")
}
