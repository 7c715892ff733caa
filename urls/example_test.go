package urls_test

import (
	"fmt"

	"github.com/spamtrace/spamtrace/urls"
)

func ExampleSet() {
	var s urls.Set
	s.AddText("1", []byte("Claim at http://Win.Prizes.example.co.uk/claim?id=7."))
	s.AddHTML("2", []byte(`<a href="http://3735928559/x">here</a>`))
	for _, u := range s.URLs() {
		fmt.Printf("%s host %s domain %q part %s\n", u.URL, u.Host, u.Domain, u.Part)
	}
	// Output:
	// http://Win.Prizes.example.co.uk/claim?id=7 host win.prizes.example.co.uk domain "example.co.uk" part 1
	// http://3735928559/x host 222.173.190.239 domain "" part 2
}
