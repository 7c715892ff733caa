package trace

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	geoip2 "github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoDB is an open .mmdb database: MaxMind GeoIP2/GeoLite2 City, Country,
// ASN and ISP databases through github.com/oschwald/geoip2-golang/v2, and
// the other common free layouts through maxminddb-golang/v2: DB-IP lite
// (which mimics MaxMind's), ip-location-db (a flat "country_code", or
// "autonomous_system_number"), and IPinfo ("country", "asn", "as_name").
// A GeoDB is safe for concurrent use.
type GeoDB struct {
	Path string
	Type string // the database_type the file declares
	g    *geoip2.Reader
	m    *maxminddb.Reader
	asn  bool // a MaxMind ASN or ISP database
}

// OpenGeoDB opens path. A corrupt or unknown file is an error, never a
// panic.
func OpenGeoDB(path string) (db *GeoDB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("trace: geoip %s: corrupt database: %v", path, r)
		}
	}()
	m, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: geoip %s: %w", path, err)
	}
	db = &GeoDB{Path: path, Type: m.Metadata.DatabaseType}
	g, gerr := geoip2.Open(path)
	if gerr == nil {
		m.Close()
		db.g = g
		t := strings.ToLower(db.Type)
		db.asn = strings.Contains(t, "asn") || strings.Contains(t, "isp")
		return db, nil
	}
	var unknown geoip2.UnknownDatabaseTypeError
	if !errors.As(gerr, &unknown) {
		m.Close()
		return nil, fmt.Errorf("trace: geoip %s: %w", path, gerr)
	}
	db.m = m
	return db, nil
}

// Close releases the database.
func (d *GeoDB) Close() error {
	if d.g != nil {
		return d.g.Close()
	}
	if d.m != nil {
		return d.m.Close()
	}
	return nil
}

// genericRecord covers the free layouts that geoip2 does not read.
type genericRecord struct {
	CountryCode string `maxminddb:"country_code"` // ip-location-db
	Country     any    `maxminddb:"country"`      // IPinfo: "DE"; DB-IP: {"iso_code": "DE"}
	City        any    `maxminddb:"city"`         // ip-location-db city: "Berlin"; DB-IP: {"names": …}
	ASN         any    `maxminddb:"autonomous_system_number"`
	ASOrg       string `maxminddb:"autonomous_system_organization"`
	IPinfoASN   string `maxminddb:"asn"`     // IPinfo: "AS15169"
	IPinfoName  string `maxminddb:"as_name"` // IPinfo
}

// Geo looks a up.
func (d *GeoDB) Geo(a netip.Addr) (gi GeoInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trace: geoip %s: corrupt database: %v", d.Path, r)
		}
	}()
	a = a.Unmap().WithZone("")
	if d.g != nil {
		if d.asn {
			if strings.Contains(strings.ToLower(d.Type), "isp") {
				r, err := d.g.ISP(a)
				if err != nil {
					return gi, err
				}
				return GeoInfo{ASN: uint(r.AutonomousSystemNumber), ASOrg: r.AutonomousSystemOrganization}, nil
			}
			r, err := d.g.ASN(a)
			if err != nil {
				return gi, err
			}
			return GeoInfo{ASN: uint(r.AutonomousSystemNumber), ASOrg: r.AutonomousSystemOrganization}, nil
		}
		r, err := d.g.City(a)
		if err != nil {
			return gi, err
		}
		gi.Country = r.Country.ISOCode
		if gi.Country == "" {
			gi.Country = r.RegisteredCountry.ISOCode
		}
		gi.City = r.City.Names.English
		return gi, nil
	}
	var rec genericRecord
	res := d.m.Lookup(a)
	if err := res.Err(); err != nil {
		return gi, err
	}
	if !res.Found() {
		return gi, nil
	}
	if err := res.Decode(&rec); err != nil {
		return gi, err
	}
	gi.Country = strings.ToUpper(rec.CountryCode)
	switch c := rec.Country.(type) {
	case string:
		if gi.Country == "" && len(c) == 2 {
			gi.Country = strings.ToUpper(c)
		}
	case map[string]any:
		if s, ok := c["iso_code"].(string); ok && gi.Country == "" {
			gi.Country = s
		}
	}
	switch c := rec.City.(type) {
	case string:
		gi.City = c
	case map[string]any:
		if n, ok := c["names"].(map[string]any); ok {
			gi.City, _ = n["en"].(string)
		}
	}
	switch n := rec.ASN.(type) {
	case uint64:
		gi.ASN = uint(n)
	case uint32:
		gi.ASN = uint(n)
	case int64:
		gi.ASN = uint(n)
	}
	gi.ASOrg = rec.ASOrg
	if gi.ASN == 0 && rec.IPinfoASN != "" {
		gi.ASN = uint(parseUintPrefix(strings.TrimPrefix(rec.IPinfoASN, "AS")))
		gi.ASOrg = rec.IPinfoName
	}
	return gi, nil
}

func parseUintPrefix(s string) uint64 {
	var n uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && i < 10; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return n
}
