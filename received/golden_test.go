package received

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .json files in testdata/golden from the parser's output")

// goldenCase is one header of a golden file and what Parse made of it.
// Hop is marshalled whole, so every field (present and future) is pinned.
type goldenCase struct {
	Input string `json:"input"`
	Hop   Hop    `json:"hop"`
	Error string `json:"error,omitempty"`
}

// readGoldenInputs splits a golden .txt file into header values: headers
// are separated by blank lines, folded with a leading space or tab as in a
// message, and unfolded here the way a header reader's Value() unfolds
// them (the line break goes, the white space stays). Lines starting with
// '#' are comments.
func readGoldenInputs(t testing.TB, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#") && cur.Len() == 0:
		default:
			cur.WriteString(line)
		}
	}
	flush()
	return out
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	total := 0
	for _, txt := range files {
		name := strings.TrimSuffix(filepath.Base(txt), ".txt")
		t.Run(name, func(t *testing.T) {
			inputs := readGoldenInputs(t, txt)
			total += len(inputs)
			got := make([]goldenCase, len(inputs))
			for i, in := range inputs {
				h, err := Parse(in)
				got[i] = goldenCase{Input: in, Hop: h}
				if err != nil {
					got[i].Error = err.Error()
				}
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			jsonPath := strings.TrimSuffix(txt, ".txt") + ".json"
			if *update {
				if err := os.WriteFile(jsonPath, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatalf("%v (run go test ./received -run TestGolden -update)", err)
			}
			if bytes.Equal(want, gotJSON) {
				return
			}
			var wantCases []goldenCase
			if err := json.Unmarshal(want, &wantCases); err != nil {
				t.Fatalf("%s: %v", jsonPath, err)
			}
			if len(wantCases) != len(got) {
				t.Fatalf("%s holds %d cases, %s has %d headers", jsonPath, len(wantCases), txt, len(got))
			}
			for i := range got {
				w, _ := json.MarshalIndent(wantCases[i], "", "  ")
				g, _ := json.MarshalIndent(got[i], "", "  ")
				if !bytes.Equal(w, g) {
					t.Errorf("%s case %d:\n%s\ngot  %s\nwant %s", name, i, got[i].Input, g, w)
				}
			}
		})
	}
	if !*update && total < 250 {
		t.Errorf("golden corpus holds %d headers, want at least 250", total)
	}
}

// TestGoldenCoverage holds the hand-written (modern) fixtures to the bars
// the corpus is held to: a date is parsed for at least 99.5% of the
// headers carrying one, and an IP literal in the from part is yielded for
// at least 99.5% of the headers holding one.
func TestGoldenCoverage(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	var withDate, dateOK, withLit, litOK, n int
	for _, txt := range files {
		if strings.HasPrefix(filepath.Base(txt), "corpus-") {
			continue
		}
		for _, in := range readGoldenInputs(t, txt) {
			n++
			h, _ := Parse(in)
			if carriesDate(in) {
				withDate++
				if !h.Date.IsZero() {
					dateOK++
				} else {
					t.Logf("no date: %s", in)
				}
			}
			if fromPartHasLiteral(in) {
				withLit++
				if h.From.IPText != "" {
					litOK++
				} else {
					t.Logf("no IP: %s", in)
				}
			}
		}
	}
	t.Logf("%d modern headers: date %d/%d, from-part literal %d/%d", n, dateOK, withDate, litOK, withLit)
	if withDate == 0 || float64(dateOK) < 0.995*float64(withDate) {
		t.Errorf("dates parsed for %d of %d headers carrying one", dateOK, withDate)
	}
	if withLit == 0 || float64(litOK) < 0.995*float64(withLit) {
		t.Errorf("IP literals yielded for %d of %d headers holding one", litOK, withLit)
	}
}
