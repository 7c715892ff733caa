package netblock

import (
	_ "embed"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// bootstrapASN is the IANA RDAP bootstrap registry for AS numbers
// (RFC 9224); see bootstrap/PROVENANCE.
//
//go:embed bootstrap/asn.json
var bootstrapASN []byte

type asnRange struct {
	lo, hi uint32
	urls   []string
}

var (
	asnOnce   sync.Once
	asnRanges []asnRange
)

func parseASNBootstrap(data []byte) ([]asnRange, error) {
	var bf bootstrapFile
	if err := json.Unmarshal(data, &bf); err != nil {
		return nil, err
	}
	var out []asnRange
	for _, svc := range bf.Services {
		if len(svc) != 2 {
			continue
		}
		for _, r := range svc[0] {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			l, err1 := strconv.ParseUint(lo, 10, 32)
			h, err2 := strconv.ParseUint(hi, 10, 32)
			if err1 != nil || err2 != nil || h < l {
				continue
			}
			out = append(out, asnRange{uint32(l), uint32(h), svc[1]})
		}
	}
	return out, nil
}

// ASNRegistry returns the regional registry that holds AS number asn
// ("arin", "ripe", "apnic", "lacnic", "afrinic"), and the https base URL of
// its RDAP service, from the embedded IANA bootstrap registry, with no
// network I/O. Both are "" for a number no registry holds.
func ASNRegistry(asn uint32) (registry, rdapBase string) {
	asnOnce.Do(func() { asnRanges, _ = parseASNBootstrap(bootstrapASN) })
	for _, r := range asnRanges {
		if asn < r.lo || asn > r.hi {
			continue
		}
		for _, u := range r.urls {
			pu, err := url.Parse(u)
			if err != nil || !safeRDAPURL(pu) {
				continue
			}
			return registryFromWhoisHost(whoisForRDAP(u)), u
		}
	}
	return "", ""
}
