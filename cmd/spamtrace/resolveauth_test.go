package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
)

// -resolve verifies DKIM through the -dns-server resolver: a signature
// made in the test passes; with the key gone from DNS it is temperror.
func TestResolveVerifiesDKIM(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	record := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	var mu sync.Mutex
	published := true
	dnsAddr := serveDNS(t, func(q dns.Question, m *dns.Msg) {
		mu.Lock()
		on := published
		mu.Unlock()
		if q.Qtype == dns.TypeTXT && q.Name == "sel._domainkey.signer.example." && on {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: []string{record[:200], record[200:]}})
		} else {
			m.Rcode = dns.RcodeNameError
		}
	})

	body := "From: a@signer.example\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nhi\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(body), &dkim.SignOptions{Domain: "signer.example", Selector: "sel", Signer: key}); err != nil {
		t.Fatal(err)
	}
	msg := "Received: from mail.signer.example (mail.signer.example [80.68.177.35]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\n" + signed.String()
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte(msg), 0o644)

	verdict := func() (string, string, bool) {
		out, errOut, code := runCmd(t, "", "-json", "-resolve", "-dns-server", dnsAddr, path)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var v struct {
			Auth struct {
				Verified bool `json:"verified"`
				DKIM     []struct {
					Verify string `json:"verify"`
					Error  string `json:"error"`
				} `json:"dkim"`
			} `json:"auth"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Auth.DKIM) != 1 {
			t.Fatalf("%v: %s", err, out)
		}
		return v.Auth.DKIM[0].Verify, v.Auth.DKIM[0].Error, v.Auth.Verified
	}
	if got, e, verified := verdict(); got != "pass" || !verified {
		t.Errorf("verify %q (%s) verified %v, want pass", got, e, verified)
	}
	mu.Lock()
	published = false
	mu.Unlock()
	if got, e, _ := verdict(); got != "temperror" || !strings.Contains(e, "unverifiable now") {
		t.Errorf("rotated away: verify %q (%s), want temperror", got, e)
	}
	// Offline: nothing verified.
	out, _, _ := runCmd(t, "", "-json", path)
	if !strings.Contains(out, `"verified":false`) || !strings.Contains(out, `"verify":"none"`) {
		t.Errorf("offline output verified something: %s", out)
	}
}
