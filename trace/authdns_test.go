package trace

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// The authentication checks' DNS questions go through the Lookups' memo:
// five messages signed with one key ask for the key once, and each still
// verifies.
func TestAuthDNSMemoized(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := newDNSServer(t)
	srv.mu.Lock()
	srv.txt = map[string]string{"sel._domainkey.signer.example.": "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
	srv.mu.Unlock()
	tracer := &Tracer{Lookups: &Lookups{DNS: srv.resolver()}}
	for i := 0; i < 5; i++ {
		body := "From: a@signer.example\r\nTo: b@example.org\r\nSubject: hello " + strings.Repeat("!", i) + "\r\n\r\nhi\r\n"
		var signed bytes.Buffer
		if err := dkim.Sign(&signed, strings.NewReader(body), &dkim.SignOptions{Domain: "signer.example", Selector: "sel", Signer: key}); err != nil {
			t.Fatal(err)
		}
		msg := "Received: from mail.signer.example (mail.signer.example [81.2.69.1]) by mx.example.org (Postfix) with ESMTP id 4Q1; Tue, 12 Mar 2024 09:14:31 +0000\r\n" + signed.String()
		tr, err := tracer.Trace(context.Background(), strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Auth == nil || len(tr.Auth.DKIM) != 1 || tr.Auth.DKIM[0].Verify != "pass" {
			t.Fatalf("message %d: DKIM %+v", i, tr.Auth)
		}
	}
	srv.mu.Lock()
	n := srv.counts["sel._domainkey.signer.example. TXT"]
	srv.mu.Unlock()
	if n != 1 {
		t.Errorf("the key was asked for %d times for 5 messages; want 1", n)
	}
}
