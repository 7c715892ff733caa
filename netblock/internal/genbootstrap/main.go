// Command genbootstrap refreshes the IANA RDAP bootstrap registries
// embedded in package netblock (RFC 9224). Run it through
// `go generate ./netblock` on a machine that can reach data.iana.org.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
	out := flag.String("out", "bootstrap", "directory to write ipv4.json, ipv6.json and asn.json to")
	base := flag.String("base", "https://data.iana.org/rdap/", "where IANA publishes the bootstrap files")
	flag.Parse()
	c := &http.Client{Timeout: 30 * time.Second}
	for _, name := range []string{"ipv4.json", "ipv6.json", "asn.json"} {
		if err := fetch(c, *base+name, filepath.Join(*out, name)); err != nil {
			fmt.Fprintln(os.Stderr, "genbootstrap:", err)
			os.Exit(1)
		}
	}
}

func fetch(c *http.Client, url, dst string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	// Refuse anything that is not a bootstrap registry.
	var v struct {
		Services [][][]string `json:"services"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Services) == 0 {
		return fmt.Errorf("%s: not an RDAP bootstrap registry", url)
	}
	return os.WriteFile(dst, b, 0o644)
}
