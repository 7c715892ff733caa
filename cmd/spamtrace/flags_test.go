package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/spamtrace/spamtrace/trace"
)

// A bad value stops the run before any work: exit 2, the flag named, no
// output on stdout.
func TestFlagsCheckedBeforeWork(t *testing.T) {
	msg := sample("gmail-to-postfix.eml")
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"-resolve", "-dns-server", "nonsense"}, `invalid value "nonsense" for flag -dns-server: want an IP address`},
		{[]string{"-resolve", "-dns-server", "127.0.0.1:99999"}, `flag -dns-server: port "99999"`},
		{[]string{"-resolve", "-rdap-server", "ftp://x"}, `invalid value "ftp://x" for flag -rdap-server: want an http:// or https://`},
		{[]string{"-resolve", "-whois-server", "nohostport"}, `invalid value "nohostport" for flag -whois-server: want HOST:PORT`},
		{[]string{"-resolve", "-whois-server", "[::1]:43"}, `flag -whois-server: an IPv6 address cannot be used`},
		{[]string{"-workers", "-5"}, `invalid value "-5" for flag -workers: must be at least 1`},
		{[]string{"-workers", "0"}, `flag -workers: must be at least 1`},
		{[]string{"-workers", "many"}, `flag -workers: not a whole number`},
		{[]string{"-fail-on", "bogus"}, `flag -fail-on: want info, low, medium, high`},
		{[]string{"-trusted", "10.0.0.0/99"}, `flag -trusted: want a CIDR prefix`},
		{[]string{"-local-domain", "exa mple.org"}, `flag -local-domain: "exa mple.org" is not a domain name`},
		{[]string{"-resolve", "-dnsbl", "zen..spamhaus.org"}, `flag -dnsbl:`},
		{[]string{"-geoip", "/nonexistent.mmdb"}, `invalid value "/nonexistent.mmdb" for flag -geoip: no such file`},
		{[]string{"-dnsbl", "zen.example"}, `-dnsbl needs -resolve`},
		{[]string{"-whois-server", "whois.example:43"}, `-whois-server needs -resolve`},
	} {
		// the message path first: flags after it are checked all the same
		out, errOut, code := runCmd(t, "", append([]string{msg}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 2 and %q", tc.args, code, len(out), errOut, tc.want)
		}
	}
	// Good values pass.
	for _, args := range [][]string{
		{"-workers", "3"}, {"-trusted", "192.0.2.0/24"}, {"-trusted", "2001:db8::1"}, {"-local-domain", "example.org."},
	} {
		if _, errOut, code := runCmd(t, "", append(args, msg)...); code != 0 {
			t.Errorf("%q: exit %d: %s", args, code, errOut)
		}
	}
	for _, s := range []string{"192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", "2001:db8::53"} {
		if err := checkDNSServer(s); err != nil {
			t.Errorf("-dns-server %s: %v", s, err)
		}
	}
	for _, s := range []string{"http://127.0.0.1:8080/rdap", "https://rdap.example.net"} {
		if err := checkRDAPServer(s); err != nil {
			t.Errorf("-rdap-server %s: %v", s, err)
		}
	}
}

// Flags may follow the paths; "--" ends them.
func TestFlagsAfterPaths(t *testing.T) {
	msg := sample("gmail-to-postfix.eml")
	out, errOut, code := runCmd(t, "", msg, "-json")
	if code != 0 || !strings.HasPrefix(out, `{"version":1`) || errOut != "" {
		t.Fatalf("FILE -json: exit %d, stderr %q, out %.60q", code, errOut, out)
	}
	out, _, code = runCmd(t, "", "-json", msg, "-summary", sample("forged-spam.eml"), "-workers", "2")
	if code != 0 || strings.Count(out, `{"version":1`) != 2 {
		t.Errorf("flags between paths: exit %d, %d records", code, strings.Count(out, `{"version":1`))
	}
	// After "--" a path may start with "-".
	dir := t.TempDir()
	odd := filepath.Join(dir, "-json")
	os.WriteFile(odd, []byte(readFile(t, msg)), 0o644)
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	out, errOut, code = runCmd(t, "", "-json", "--", "-json")
	if code != 0 || !strings.Contains(out, `"file":"-json"`) {
		t.Errorf("-- -json: exit %d, stderr %q, out %.80q", code, errOut, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCmd(t, "", "-version")
	if code != 0 || !strings.HasPrefix(out, "spamtrace ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("exit %d, %q", code, out)
	}
	// A binary built by "go install module@v1.4.0" carries its version.
	defer func(f func() (*debug.BuildInfo, bool)) { readBuildInfo = f }(readBuildInfo)
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/spamtrace/spamtrace", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	if got, want := versionLine(), "spamtrace v1.4.0 (revision 0123456789ab (modified), "+runtime.Version(); !strings.HasPrefix(got, want) {
		t.Errorf("version %q, want prefix %q", got, want)
	}
}

// The built binary prints the module version and revision "go version -m"
// reads from it.
func TestVersionOfBuiltBinary(t *testing.T) {
	bin := buildBinary(t)
	out, err := runBinary(bin, "-version")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	info, err := buildInfoOf(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "spamtrace "+info.Main.Version+" (") {
		t.Errorf("-version %q; go version -m says %q", out, info.Main.Version)
	}
}

// -geoip reads a local file: it works without -resolve and asks nothing of
// the network.
func TestGeoIPOffline(t *testing.T) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := net.ParseCIDR("209.85.221.0/24")
	if err := tree.Insert(n, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")}}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "country.mmdb")
	f, _ := os.Create(db)
	tree.WriteTo(f)
	f.Close()

	out, errOut, code := runCmd(t, "", sample("gmail-to-postfix.eml"), "-json", "-geoip", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Hops []struct {
			Lookup *struct {
				PTR      []string        `json:"ptr"`
				Country  string          `json:"country"`
				Netblock json.RawMessage `json:"netblock"`
				Error    string          `json:"error"`
			} `json:"lookup"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	l := v.Hops[1].Lookup
	if l == nil || l.Country != "US" || len(l.PTR) != 0 || string(l.Netblock) != "null" || l.Error != "" {
		t.Errorf("origin hop lookup = %+v", l)
	}
	// The Lookups the flags build have nothing that could ask the network.
	lf := &lookupFlags{geoip: listFlag{vals: []string{db}}}
	var tr trace.Tracer
	done, err := lf.apply(&tr, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if tr.Lookups == nil || tr.Lookups.DNS != nil || tr.Lookups.Netblocks != nil || len(tr.Lookups.DNSBL) != 0 || lf.network {
		t.Errorf("-geoip alone: lookups %+v, network %v", tr.Lookups, lf.network)
	}
}
