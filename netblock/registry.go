package netblock

import (
	_ "embed"
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"sync"
)

//go:generate go run ./internal/genbootstrap -out bootstrap

// The IANA RDAP bootstrap registries (RFC 9224), embedded so lookups need
// no bootstrap query. See bootstrap/PROVENANCE.
var (
	//go:embed bootstrap/ipv4.json
	bootstrapIPv4 []byte
	//go:embed bootstrap/ipv6.json
	bootstrapIPv6 []byte
)

// registries lists the whois servers a referral may lead to (port 43
// only), with each registry's name and query syntax. Nothing else is ever
// contacted over whois.
var registries = map[string]struct {
	name   string
	query  func(a netip.Addr) string
	rdapOK bool
}{
	"whois.iana.org":        {"iana", plainQuery, false},
	"whois.arin.net":        {"arin", plainQuery, true}, // github.com/likexian/whois adds ARIN's "n + "
	"whois.ripe.net":        {"ripe", plainQuery, true},
	"whois.apnic.net":       {"apnic", plainQuery, true},
	"whois.lacnic.net":      {"lacnic", plainQuery, true},
	"whois.afrinic.net":     {"afrinic", plainQuery, true},
	"whois.nic.ad.jp":       {"jpnic", func(a netip.Addr) string { return a.String() + "/e" }, false},
	"whois.kisa.or.kr":      {"krnic", plainQuery, false},
	"whois.nic.or.kr":       {"krnic", plainQuery, false},
	"whois.nic.br":          {"nic.br", plainQuery, false},
	"whois.registro.br":     {"nic.br", plainQuery, false},
	"whois.twnic.net.tw":    {"twnic", plainQuery, false},
	"whois.twnic.net":       {"twnic", plainQuery, false},
	"whois.cnnic.cn":        {"cnnic", plainQuery, false},
	"ipwhois.cnnic.cn":      {"cnnic", plainQuery, false},
	"whois.idnic.net.id":    {"idnic", plainQuery, false},
	"whois.nic.net.id":      {"idnic", plainQuery, false},
	"whois.vnnic.vn":        {"vnnic", plainQuery, false},
	"whois.nixiregistry.in": {"irinn", plainQuery, false},
}

func plainQuery(a netip.Addr) string { return a.String() }

func registryFromWhoisHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if r, ok := registries[h]; ok {
		return r.name
	}
	return ""
}

// rdapHosts maps the RIRs' RDAP service hosts to their whois servers.
var rdapHosts = map[string]string{
	"rdap.arin.net":    "whois.arin.net",
	"rdap.db.ripe.net": "whois.ripe.net",
	"rdap.apnic.net":   "whois.apnic.net",
	"rdap.lacnic.net":  "whois.lacnic.net",
	"rdap.afrinic.net": "whois.afrinic.net",
	"rdap.registro.br": "whois.nic.br",
	"rdap.nic.ad.jp":   "whois.nic.ad.jp",
	"rdap.twnic.tw":    "whois.twnic.net.tw",
	"rdap.kisa.or.kr":  "whois.kisa.or.kr",
}

// normWhoisTarget reads a referral as written ("whois.ripe.net",
// "whois://whois.ripe.net:43", "rwhois://rwhois.example.net:4321") and
// returns the registry host when it is one of the known registries on
// port 43.
func normWhoisTarget(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	port := "43"
	if i := strings.Index(ref, "://"); i >= 0 {
		if !strings.EqualFold(ref[:i], "whois") {
			return "", false
		}
		ref = ref[i+3:]
	}
	ref = strings.TrimSuffix(ref, "/")
	if h, p, ok := strings.Cut(ref, ":"); ok {
		ref, port = h, p
	}
	ref = strings.ToLower(strings.TrimSuffix(ref, "."))
	if port != "43" {
		return "", false
	}
	if _, ok := registries[ref]; !ok {
		return "", false
	}
	return ref, true
}

type bootstrapFile struct {
	Services [][][]string `json:"services"`
}

type bootstrapEntry struct {
	prefix netip.Prefix
	urls   []string
}

// bootstrap is the parsed IANA registry.
type bootstrap struct{ v4, v6 []bootstrapEntry }

func parseBootstrap(v4, v6 []byte) (*bootstrap, error) {
	var b bootstrap
	for _, f := range []struct {
		data []byte
		dst  *[]bootstrapEntry
	}{{v4, &b.v4}, {v6, &b.v6}} {
		var bf bootstrapFile
		if err := json.Unmarshal(f.data, &bf); err != nil {
			return nil, err
		}
		for _, svc := range bf.Services {
			if len(svc) != 2 {
				continue
			}
			for _, p := range svc[0] {
				pp, err := netip.ParsePrefix(p)
				if err != nil {
					continue
				}
				*f.dst = append(*f.dst, bootstrapEntry{pp, svc[1]})
			}
		}
	}
	return &b, nil
}

// rdapBase returns the https RDAP base URL for a, from the longest match.
func (b *bootstrap) rdapBase(a netip.Addr) string {
	list := b.v6
	if a.Is4() {
		list = b.v4
	}
	best := -1
	for i, e := range list {
		if e.prefix.Contains(a) && (best < 0 || e.prefix.Bits() > list[best].prefix.Bits()) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	for _, u := range list[best].urls {
		if strings.HasPrefix(u, "https://") {
			return u
		}
	}
	return ""
}

// whoisFor returns the whois server of the RIR whose RDAP service base is u.
func whoisForRDAP(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return rdapHosts[strings.ToLower(pu.Hostname())]
}

// safeRDAPURL reports whether u may be fetched: https, the default port,
// a host name (never an IP literal, never localhost).
func safeRDAPURL(u *url.URL) bool {
	if u.Scheme != "https" || u.User != nil {
		return false
	}
	if p := u.Port(); p != "" && p != "443" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if h == "" || h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") {
		return false
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return false
	}
	return strings.Contains(h, ".")
}

var (
	defaultBootOnce sync.Once
	defaultBoot     *bootstrap
)

// Registry returns the regional registry IANA allocated a's block to
// ("arin", "ripe", "apnic", "lacnic", "afrinic"), from the embedded RDAP
// bootstrap registry, with no network I/O; "" when the block is not
// allocated to one (special-purpose or unallocated space).
func Registry(a netip.Addr) string {
	defaultBootOnce.Do(func() { defaultBoot, _ = parseBootstrap(bootstrapIPv4, bootstrapIPv6) })
	if defaultBoot == nil {
		return ""
	}
	return registryFromWhoisHost(whoisForRDAP(defaultBoot.rdapBase(a.Unmap())))
}
