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
