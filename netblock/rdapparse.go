package netblock

import (
	"encoding/json"
	"errors"
	"net/netip"
	"sort"
	"strings"

	"go4.org/netipx"
)

// rdapEntity is the part of an RDAP entity (RFC 9083 section 5.1) used here.
type rdapEntity struct {
	Handle     string          `json:"handle"`
	Roles      []string        `json:"roles"`
	VCard      json.RawMessage `json:"vcardArray"`
	Entities   []rdapEntity    `json:"entities"`
	Links      []rdapLink      `json:"links"`
	ObjectName string          `json:"objectClassName"`
}

type rdapLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type"`
}

// rdapNetwork is an RDAP IP network object (RFC 9083 section 5.4).
type rdapNetwork struct {
	ObjectName   string       `json:"objectClassName"`
	Handle       string       `json:"handle"`
	StartAddress string       `json:"startAddress"`
	EndAddress   string       `json:"endAddress"`
	Name         string       `json:"name"`
	Type         string       `json:"type"`
	Country      string       `json:"country"`
	ParentHandle string       `json:"parentHandle"`
	Port43       string       `json:"port43"`
	Entities     []rdapEntity `json:"entities"`
	Links        []rdapLink   `json:"links"`
	CIDR0        []struct {
		V4Prefix string `json:"v4prefix"`
		V6Prefix string `json:"v6prefix"`
		Length   int    `json:"length"`
	} `json:"cidr0_cidrs"`
	OriginAS  []json.Number `json:"arin_originas0_originautnums"`
	ErrorCode int           `json:"errorCode"`
	Title     string        `json:"title"`
}

// vcard is what is read from a jCard (RFC 7095).
type vcard struct {
	fn, org, kind string
	emails        []string // preferred ones first
	preferred     int      // how many of emails are preferred
}

func parseVCard(raw json.RawMessage) vcard {
	var v vcard
	if len(raw) == 0 {
		return v
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil || len(arr) < 2 {
		return v
	}
	var props [][]json.RawMessage
	if json.Unmarshal(arr[1], &props) != nil {
		return v
	}
	for _, p := range props {
		if len(p) < 4 {
			continue
		}
		var name string
		if json.Unmarshal(p[0], &name) != nil {
			continue
		}
		var val string
		_ = json.Unmarshal(p[3], &val)
		// A "type" parameter naming abuse, or pref=1, puts an address
		// first (RIPE's abuse-mailbox, RFC 6350 PREF).
		var params struct {
			Type json.RawMessage `json:"type"`
			Pref json.RawMessage `json:"pref"`
		}
		_ = json.Unmarshal(p[1], &params)
		preferred := strings.Contains(strings.ToLower(string(params.Type)), "abuse") ||
			strings.Trim(string(params.Pref), `"`) == "1"
		switch strings.ToLower(name) {
		case "fn":
			v.fn = val
		case "org":
			if v.org == "" {
				v.org = val
			}
		case "kind":
			v.kind = val
		case "email":
			switch {
			case val == "":
			case preferred:
				v.emails = append(v.emails, "")
				copy(v.emails[v.preferred+1:], v.emails[v.preferred:])
				v.emails[v.preferred] = val
				v.preferred++
			default:
				v.emails = append(v.emails, val)
			}
		}
	}
	return v
}

// hasRole reports whether roles holds r, also inside joined strings such
// as "technical, abuse" (seen from real servers).
func hasRole(roles []string, r string) bool {
	for _, x := range roles {
		for _, part := range strings.Split(x, ",") {
			if strings.EqualFold(strings.TrimSpace(part), r) {
				return true
			}
		}
	}
	return false
}

// onlyRole reports whether every role in roles is r.
func onlyRole(roles []string, r string) bool {
	n := 0
	for _, x := range roles {
		for _, part := range strings.Split(x, ",") {
			if p := strings.TrimSpace(part); p != "" {
				if !strings.EqualFold(p, r) {
					return false
				}
				n++
			}
		}
	}
	return n > 0
}

// errRDAPNotNetwork: the JSON is not an IP network object.
var errRDAPNotNetwork = errors.New("netblock: RDAP answer is not an IP network")

// maxEntityDepth caps how deep nested entities are walked.
const maxEntityDepth = 8

// rdapResult is what one RDAP answer says.
type rdapResult struct {
	nb *Netblock
	// needEntity lists self links of abuse entities that carry no e-mail,
	// to be fetched once.
	needEntity []string
}

// parseRDAP reads an RDAP IP network answer about addr.
func parseRDAP(body []byte, addr netip.Addr) (rdapResult, error) {
	var res rdapResult
	var n rdapNetwork
	if err := json.Unmarshal(body, &n); err != nil {
		return res, errors.Join(errRDAPNotNetwork, err)
	}
	if n.ErrorCode != 0 {
		if n.ErrorCode == 404 {
			return res, ErrNotFound
		}
		if n.ErrorCode == 429 {
			return res, ErrRateLimited
		}
		return res, errRDAPNotNetwork
	}
	first, ok1 := parseAddr(n.StartAddress)
	last, ok2 := parseAddr(n.EndAddress)
	if !ok1 || !ok2 || first.BitLen() != last.BitLen() || last.Less(first) {
		return res, errRDAPNotNetwork
	}
	r := netipx.IPRangeFrom(first, last)
	nb := &Netblock{First: first, Last: last, Name: n.Name, Country: strings.ToUpper(n.Country), Source: SourceRDAP, Raw: string(body)}
	nb.Prefix = prefixFor(r, addr)
	for _, c := range n.CIDR0 {
		p := c.V4Prefix
		if p == "" {
			p = c.V6Prefix
		}
		if a, ok := parseAddr(p); ok {
			if pp, err := a.Prefix(c.Length); err == nil && (!addr.IsValid() || pp.Contains(addr)) {
				nb.Prefix = pp
				break
			}
		}
	}
	if len(n.OriginAS) > 0 {
		nb.OriginASN = parseASN(string(n.OriginAS[0]))
	}
	nb.Registry = registryFromWhoisHost(n.Port43)
	seen := map[string]bool{}
	var depths []int // rank of each abuse contact: its depth, later if the entity has other roles too
	var walk func(es []rdapEntity, depth int)
	walk = func(es []rdapEntity, depth int) {
		if depth > maxEntityDepth {
			return
		}
		for _, e := range es {
			vc := parseVCard(e.VCard)
			if nb.Org == "" && hasRole(e.Roles, "registrant") {
				nb.Org = vc.fn
				if vc.org != "" && vc.fn == "" {
					nb.Org = vc.org
				}
			}
			if hasRole(e.Roles, "abuse") {
				if len(vc.emails) == 0 {
					for _, l := range e.Links {
						if l.Rel == "self" && l.Href != "" {
							res.needEntity = append(res.needEntity, l.Href)
							break
						}
					}
				}
				for _, m := range vc.emails {
					m = cleanEmail(m)
					if m != "" && !seen[strings.ToLower(m)] {
						seen[strings.ToLower(m)] = true
						nb.Abuse = append(nb.Abuse, Contact{Email: m, Source: SourceRDAP, Handle: e.Handle, Scope: "abuse"})
						rank := depth
						if !onlyRole(e.Roles, "abuse") {
							rank += maxEntityDepth + 1
						}
						depths = append(depths, rank)
					}
				}
			}
			walk(e.Entities, depth+1)
		}
	}
	walk(n.Entities, 0)
	// An entity that is only an abuse desk before one that is also the
	// technical or NOC contact (ARIN's OrgAbuse POC against a net POC
	// with every role); then the network's own abuse entity before one
	// nested under another contact; else the answer's order.
	idx := make([]int, len(nb.Abuse))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return depths[idx[i]] < depths[idx[j]] })
	sorted := make([]Contact, len(idx))
	for i, k := range idx {
		sorted[i] = nb.Abuse[k]
	}
	if len(sorted) > 0 {
		nb.Abuse = sorted
	}
	res.nb = nb
	return res, nil
}

// parseRDAPEntity reads the e-mail addresses of an RDAP entity answer.
func parseRDAPEntity(body []byte) (handle string, emails []string) {
	var e rdapEntity
	if json.Unmarshal(body, &e) != nil {
		return "", nil
	}
	vc := parseVCard(e.VCard)
	for _, m := range vc.emails {
		if m = cleanEmail(m); m != "" {
			emails = append(emails, m)
		}
	}
	return e.Handle, emails
}
