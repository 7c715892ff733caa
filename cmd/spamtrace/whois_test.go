package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spamtrace/spamtrace/internal/whoistest"
)

// whoisLoopback answers every whois query with answer(query), on loopback,
// and counts the queries.
func whoisLoopback(t *testing.T, answer func(q string) string) (string, *atomic.Int64) {
	t.Helper()
	s, err := whoistest.Start(answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr(), &s.Queries
}

func runWhoisT(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runWhois(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// jsonKeys returns the top-level keys of one JSON object in order.
func jsonKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", line)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

type whoisJSON struct {
	IP, Prefix, Range, Name, Org, Country, Registry, Source, Error string
	Abuse                                                          []struct{ Email, Source string }
}

func TestWhoisJSONShape(t *testing.T) {
	ripe, err := os.ReadFile("../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	addr, queries := whoisLoopback(t, func(q string) string {
		switch q {
		case "62.239.237.1":
			return string(ripe)
		case "81.2.69.1":
			return "%ERROR:201: access denied\n% Query rate limit exceeded\n"
		}
		return "% bad query " + q + "\n"
	})
	out, errOut, code := runWhoisT(t, "-json", "-whois-server", addr, "62.239.237.1", "[81.2.69.1]")
	if code != 1 || errOut != "" {
		t.Fatalf("exit %d, want 1 (one lookup failed); stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per IP, got %q", out)
	}
	// The keys, in its order (extra keys allowed between).
	want := []string{"ip", "prefix", "range", "name", "org", "country", "registry", "source", "abuse", "error"}
	for _, line := range lines {
		keys := jsonKeys(t, line)
		i := 0
		for _, k := range keys {
			if i < len(want) && k == want[i] {
				i++
			}
		}
		if i != len(want) || keys[0] != "ip" || keys[len(keys)-1] != "error" {
			t.Errorf("keys %v, want %v in that order", keys, want)
		}
	}
	var ok, limited whoisJSON
	if err := json.Unmarshal([]byte(lines[0]), &ok); err != nil {
		t.Fatal(err)
	}
	if ok.IP != "62.239.237.1" || ok.Prefix != "62.239.237.0/24" || ok.Range != "62.239.237.0 - 62.239.237.255" ||
		ok.Registry != "ripe" || ok.Source != "whois" || ok.Country != "GB" || ok.Error != "" ||
		len(ok.Abuse) == 0 || ok.Abuse[0].Email != "protect@bt.com" || ok.Abuse[0].Source != "whois" {
		t.Errorf("ok = %+v", ok)
	}
	// A rate-limit answer: an error and no contact, never a guess.
	if err := json.Unmarshal([]byte(lines[1]), &limited); err != nil {
		t.Fatal(err)
	}
	if limited.IP != "81.2.69.1" || !strings.Contains(limited.Error, "rate limit") || len(limited.Abuse) != 0 || limited.Prefix != "" {
		t.Errorf("limited = %+v", limited)
	}
	if !strings.Contains(lines[1], `"abuse":[]`) {
		t.Errorf("no contacts must be an empty list: %s", lines[1])
	}
	if n := queries.Load(); n != 2 {
		t.Errorf("%d whois queries for two IPs", n)
	}
}

// -rdap-server alone: RDAP at URL/ip/ADDR, and whois is off.
func TestWhoisRDAPServerOnly(t *testing.T) {
	body, err := os.ReadFile("../../netblock/testdata/rdap/arin_74.125.225.229.json")
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/rdap/ip/74.125.225.229" {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write(body)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	out, _, code := runWhoisT(t, "-json", "-rdap-server", srv.URL+"/rdap", "74.125.225.229", "81.2.69.1")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (81.2.69.1 was not found)", code)
	}
	// Every lookup found its network: exit 0. Flags may follow the IPs.
	if _, _, code := runWhoisT(t, "74.125.225.229", "-json", "-rdap-server", srv.URL+"/rdap"); code != 0 {
		t.Errorf("one IP found: exit %d, want 0", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("out = %q", out)
	}
	var v, missing whoisJSON
	json.Unmarshal([]byte(lines[0]), &v)
	json.Unmarshal([]byte(lines[1]), &missing)
	if v.Prefix != "74.125.0.0/16" || v.Source != "rdap" || v.Registry != "arin" || len(v.Abuse) == 0 || v.Abuse[0].Email != "arin-contact@google.com" || v.Abuse[0].Source != "rdap" {
		t.Errorf("v = %+v", v)
	}
	// Not found over RDAP, and whois is off: an error, no fallback query.
	if missing.Error == "" || len(missing.Abuse) != 0 {
		t.Errorf("missing = %+v", missing)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d RDAP requests for three IPs", n)
	}
}

func TestWhoisTextAndUsage(t *testing.T) {
	ripe, err := os.ReadFile("../../netblock/testdata/whois/ripe_62.239.237.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := whoisLoopback(t, func(string) string { return string(ripe) })
	out, _, code := runWhoisT(t, "-whois-server", addr, "62.239.237.1")
	if code != 0 || !strings.Contains(out, "62.239.237.0/24") || !strings.Contains(out, "abuse:    protect@bt.com (whois") {
		t.Errorf("exit %d, out %q", code, out)
	}
	for _, args := range [][]string{{}, {"-json"}, {"not-an-ip"}, {"-bogus", "1.2.3.4"}, {"-whois-server"}} {
		if _, errOut, code := runWhoisT(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if _, _, code := runWhoisT(t, "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}
