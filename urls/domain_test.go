package urls

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// The remembered domain is the one publicsuffix gives, asked first or
// again, after other hosts took the slot, and from several goroutines.
func TestRegisteredDomain(t *testing.T) {
	hosts := []string{"www.example.co.uk", "example.co.uk", "co.uk", "uk", "a.b.c.blogspot.com",
		"localhost", "xn--bcher-kva.example", "host.invalid", "", ".", "a..b.com"}
	for i := range 3000 {
		hosts = append(hosts, fmt.Sprintf("h%d.example%d.com", i, i%7))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 2 {
				for i := range hosts {
					h := hosts[(i*(g+1)+round)%len(hosts)]
					want, err := publicsuffix.EffectiveTLDPlusOne(h)
					got, ok := registeredDomain(h)
					if got != want || ok != (err == nil) {
						t.Errorf("%q: %q %v, want %q %v", h, got, ok, want, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// A remembered parse is Parse's, asked first or again, after other URLs
// took the slot, and from several goroutines.
func TestParseCached(t *testing.T) {
	raws := []string{"http://a.example/", "HTTP://WWW.Example.CO.UK/x", "https://[::1]/", "http://3735928559/",
		"www.a.example", "http://", "ftp://a.example/", "http://a.example:80@b.example/", "http://%61.example/"}
	for i := range 6000 {
		raws = append(raws, fmt.Sprintf("http://h%d.example%d.com/p?%d", i%900, i%7, i))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 2 {
				for i := range raws {
					r := raws[(i*(g+1)+round)%len(raws)]
					want, wantOK := Parse(r)
					got, ok := parseCached(r)
					if got != want || ok != wantOK {
						t.Errorf("%q: %+v %v, want %+v %v", r, got, ok, want, wantOK)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
