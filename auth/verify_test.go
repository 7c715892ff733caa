package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/spamtrace/spamtrace/received"
)

var (
	keyOnce sync.Once
	keys    [2]*rsa.PrivateKey
)

// testKeys are generated once per test binary: RSA key generation is slow.
func testKeys(t testing.TB) [2]*rsa.PrivateKey {
	keyOnce.Do(func() {
		for i := range keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		}
	})
	return keys
}

func keyRecord(t testing.TB, k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
}

const plainMessage = "Received: from mail.example.com (mail.example.com [80.68.177.35])\r\n" +
	"\tby mx.recipient.example (Postfix) with ESMTPS id 4Qx; Mon, 1 Jan 2024 10:00:00 +0000\r\n" +
	"From: Alice <alice@example.com>\r\n" +
	"To: bob@recipient.example\r\n" +
	"Subject: quarterly figures\r\n" +
	"Date: Mon, 1 Jan 2024 09:59:00 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n\r\nthe figures are attached.  \r\n\r\n"

// dkimSign signs msg with go-msgauth's signer (c=relaxed/relaxed unless
// simple is set).
func dkimSign(t testing.TB, msg, domain, selector string, k crypto.Signer, simple bool) string {
	o := &dkim.SignOptions{Domain: domain, Selector: selector, Signer: k,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"}}
	if !simple {
		o.HeaderCanonicalization, o.BodyCanonicalization = dkim.CanonicalizationRelaxed, dkim.CanonicalizationRelaxed
	}
	// The signature goes below the Received field, as the sender's server
	// adds it before relaying.
	hdr, rest, _ := strings.Cut(msg, "\r\nFrom:")
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader("From:"+rest), o); err != nil {
		t.Fatal(err)
	}
	return hdr + "\r\n" + b.String()
}

// sealARC adds ARC set inst on top of msg, with a Received field for the
// sealing hop above it: our own RFC 8617 §5.1 signer, for tests.
func sealARC(t testing.TB, msg string, inst int, domain, selector string, k *rsa.PrivateKey, cv string) string {
	when := time.Date(2024, 1, 1, 10, inst, 0, 0, time.UTC)
	fields, body := splitMessage([]byte(msg))
	aar := fmt.Sprintf("ARC-Authentication-Results: i=%d; mx.%s; dkim=pass header.d=example.com\r\n", inst, domain)
	bh := base64.StdEncoding.EncodeToString(sha256Sum(canonBody(body, true, -1)))
	ams := fmt.Sprintf("ARC-Message-Signature: i=%d; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s;\r\n\tt=%d; h=from:to:subject:date:message-id; bh=%s; b=\r\n", inst, domain, selector, when.Unix(), bh)
	var data strings.Builder
	for _, f := range pickHeaders(fields, []string{"from", "to", "subject", "date", "message-id"}) {
		data.WriteString(canonHeader(f, true))
	}
	data.WriteString(strings.TrimSuffix(canonHeader(ams, true), "\r\n"))
	ams = strings.TrimSuffix(ams, "\r\n") + sign(t, k, data.String()) + "\r\n"

	// The seal covers the earlier sets and this one.
	var prev []rawField
	for _, f := range fields {
		switch lower(f.name) {
		case "arc-seal", "arc-message-signature", "arc-authentication-results":
			prev = append(prev, f)
		}
	}
	as := fmt.Sprintf("ARC-Seal: i=%d; a=rsa-sha256; t=%d; cv=%s; d=%s; s=%s; b=\r\n", inst, when.Unix(), cv, domain, selector)
	var sd strings.Builder
	for j := 1; j < inst; j++ {
		for _, name := range []string{"arc-authentication-results", "arc-message-signature", "arc-seal"} {
			for _, f := range prev {
				_, val, _ := strings.Cut(f.text, ":")
				n := 0
				switch name {
				case "arc-authentication-results":
					n, _ = parseInstance(strings.SplitN(val, ";", 2)[0])
				case "arc-message-signature":
					n, _, _ = amsInfo(val)
				default:
					n = parseARCSeal(val).instance
				}
				if lower(f.name) == name && n == j {
					sd.WriteString(canonHeader(f.text, true))
				}
			}
		}
	}
	sd.WriteString(canonHeader(aar, true))
	sd.WriteString(canonHeader(ams, true))
	sd.WriteString(strings.TrimSuffix(canonHeader(as, true), "\r\n"))
	as = strings.TrimSuffix(as, "\r\n") + sign(t, k, sd.String()) + "\r\n"
	rcv := fmt.Sprintf("Received: from mx.prev.example (mx.prev.example [80.68.177.%d])\r\n\tby mx.%s (Postfix) with ESMTPS id q%d; %s\r\n", 40+inst, domain, inst, when.Format(time.RFC1123Z))
	return rcv + as + ams + aar + msg
}

func sign(t testing.TB, k *rsa.PrivateKey, data string) string {
	h := sha256.Sum256([]byte(data))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// analyze builds the evidence of a raw message, hop 0 trusted.
func analyze(t testing.TB, msg string) *Evidence {
	fields, _ := splitMessage([]byte(msg))
	in := &Input{Origin: 0}
	for _, f := range fields {
		_, val, _ := strings.Cut(f.text, ":")
		val = strings.TrimSpace(strings.NewReplacer("\r\n", "").Replace(val))
		in.Fields = append(in.Fields, Field{Name: f.name, Value: val})
		if lower(f.name) == "received" {
			h, _ := received.Parse(val)
			in.Hops = append(in.Hops, Hop{Received: &h, Trusted: len(in.Hops) == 0})
		}
	}
	return Analyze(in)
}

func verify(t testing.TB, srv *txtServer, msg string) *Evidence {
	ev := analyze(t, msg)
	v := Verifier{DNS: srv.resolver(), SPF: srv.resolver(), Timeout: 2 * time.Second}
	v.Verify(context.Background(), ev, []byte(msg), netip.MustParseAddr("80.68.177.35"), "mail.example.com")
	return ev
}

func TestVerifyDKIM(t *testing.T) {
	k := testKeys(t)
	srv := newTXTServer(t)
	srv.set("s1._domainkey.example.com", keyRecord(t, k[0]))
	signed := dkimSign(t, plainMessage, "example.com", "s1", k[0], false)

	check := func(name, msg, want, errPart string) {
		t.Helper()
		ev := verify(t, srv, msg)
		if len(ev.DKIM) != 1 {
			t.Fatalf("%s: %d signatures", name, len(ev.DKIM))
		}
		d := ev.DKIM[0]
		if d.Verify != want || !strings.Contains(d.Error, errPart) {
			t.Errorf("%s: verify %q error %q, want %q with %q", name, d.Verify, d.Error, want, errPart)
		}
	}
	check("untouched", signed, "pass", "")
	check("subject changed", strings.Replace(signed, "quarterly figures", "quarterly figures!", 1), "fail", "signature did not verify")
	check("body changed", strings.Replace(signed, "attached", "attached (see the link)", 1), "fail", "body hash did not verify")
	srv.set("s1._domainkey.example.com")
	check("key rotated away", signed, "temperror", "unverifiable now")
}

// TestCanonAgainstGoMsgauth checks our canonicalisation, header picking
// and b= removal (which the ARC verifier uses) against go-msgauth's
// signer: a DKIM-Signature it makes must verify through our AMS path.
func TestCanonAgainstGoMsgauth(t *testing.T) {
	k := testKeys(t)
	srv := newTXTServer(t)
	srv.set("s1._domainkey.example.com", keyRecord(t, k[0]))
	v := Verifier{DNS: srv.resolver()}
	for _, simple := range []bool{false, true} {
		signed := dkimSign(t, plainMessage, "example.com", "s1", k[0], simple)
		fields, body := splitMessage([]byte(signed))
		var sig string
		for _, f := range fields {
			if lower(f.name) == "dkim-signature" {
				sig = f.text
			}
		}
		if err := v.checkAMS(context.Background(), fields, body, sig); err != nil {
			t.Errorf("simple=%v: our verification of go-msgauth's signature: %v", simple, err)
		}
		if err := v.checkAMS(context.Background(), fields, append(body, "x\r\n"...), sig); err == nil {
			t.Errorf("simple=%v: a changed body verified", simple)
		}
	}
}

// threeSets is plainMessage, DKIM-signed, then sealed by three ARC
// intermediaries.
func threeSets(t testing.TB) string {
	k := testKeys(t)
	msg := dkimSign(t, plainMessage, "example.com", "s1", k[0], false)
	msg = sealARC(t, msg, 1, "first.example", "arc1", k[0], "none")
	msg = sealARC(t, msg, 2, "second.example", "arc2", k[1], "pass")
	return sealARC(t, msg, 3, "third.example", "arc3", k[0], "pass")
}

func TestVerifyARC(t *testing.T) {
	k := testKeys(t)
	srv := newTXTServer(t)
	srv.set("s1._domainkey.example.com", keyRecord(t, k[0]))
	srv.set("arc1._domainkey.first.example", keyRecord(t, k[0]))
	srv.set("arc2._domainkey.second.example", keyRecord(t, k[1]))
	srv.set("arc3._domainkey.third.example", keyRecord(t, k[0]))
	msg := threeSets(t)

	chain := func(name, m, want string, sets ...string) {
		t.Helper()
		ev := verify(t, srv, m)
		var got []string
		for _, s := range ev.ARC {
			got = append(got, s.Verify)
		}
		if ev.ARCChain != want || strings.Join(got, ",") != strings.Join(sets, ",") {
			t.Errorf("%s: chain %q sets %v, want %q %v (%+v)", name, ev.ARCChain, got, want, sets, ev.ARC)
		}
	}
	chain("untouched", msg, "pass", "pass", "pass", "pass")
	chain("body changed", strings.Replace(msg, "attached", "attached (see the link)", 1), "fail", "pass", "pass", "fail")
	chain("subject changed", strings.Replace(msg, "quarterly figures", "quarterly figures!", 1), "fail", "pass", "pass", "fail")
	chain("first results changed", strings.Replace(msg, "i=1; mx.first.example; dkim=pass", "i=1; mx.first.example; dkim=fail", 1), "fail", "fail", "fail", "fail")
	srv.set("arc2._domainkey.second.example")
	chain("key rotated away", msg, "none", "pass", "none", "pass")

	// Structure: a missing instance breaks the chain offline already.
	ev := analyze(t, removeInstance(msg, 2))
	if ev.ARCChain != "fail" {
		t.Errorf("gap: chain %q", ev.ARCChain)
	}
}

// removeInstance drops the three ARC fields of one instance.
func removeInstance(msg string, inst int) string {
	fields, body := splitMessage([]byte(msg))
	var b strings.Builder
	for _, f := range fields {
		if strings.HasPrefix(lower(f.name), "arc-") && strings.Contains(f.text, fmt.Sprintf("i=%d;", inst)) {
			continue
		}
		b.WriteString(f.text)
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.String()
}

func TestVerifyDMARCAndSPF(t *testing.T) {
	k := testKeys(t)
	srv := newTXTServer(t)
	srv.set("s1._domainkey.example.com", keyRecord(t, k[0]))
	srv.set("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s")
	srv.set("example.com", "v=spf1 ip4:80.68.177.0/24 -all")
	signed := "Return-Path: <bounces@example.com>\r\n" + dkimSign(t, plainMessage, "example.com", "s1", k[0], false)
	ev := verify(t, srv, signed)
	if ev.DMARCPolicy != "reject" || ev.OriginSPF != "pass" || ev.Alignment.DMARC != "pass" || !ev.Alignment.DKIMStrict || !ev.Verified {
		t.Errorf("policy %q spf %q (%s) alignment %+v", ev.DMARCPolicy, ev.OriginSPF, ev.OriginSPFError, ev.Alignment)
	}
	// A signature by another domain, an SPF fail: DMARC fails under p=reject.
	srv.set("example.com", "v=spf1 -all")
	srv.set("s1._domainkey.other.example", keyRecord(t, k[1]))
	other := "Return-Path: <bounces@example.com>\r\n" + dkimSign(t, plainMessage, "other.example", "s1", k[1], false)
	ev = verify(t, srv, other)
	found := false
	for _, f := range ev.Findings {
		found = found || f.Rule == "dmarc-policy-fail"
	}
	if ev.OriginSPF != "fail" || ev.Alignment.DMARC != "fail" || !found {
		t.Errorf("spf %q alignment %+v findings %+v", ev.OriginSPF, ev.Alignment, ev.Findings)
	}
}

// TestOfflineVerifiesNothing: without a Verifier every verify field is
// "none" and Verified is false.
func TestOfflineVerifiesNothing(t *testing.T) {
	ev := analyze(t, threeSets(t))
	if ev.Verified || ev.ARCChain != "none" {
		t.Errorf("verified %v chain %q", ev.Verified, ev.ARCChain)
	}
	for _, d := range ev.DKIM {
		if d.Verify != "none" {
			t.Errorf("dkim %q offline", d.Verify)
		}
	}
	for _, s := range ev.ARC {
		if s.Verify != "none" {
			t.Errorf("arc %q offline", s.Verify)
		}
	}
}
