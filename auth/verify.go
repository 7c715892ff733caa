package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
)

// TXTResolver looks up TXT records. *net.Resolver satisfies it.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// SPFResolver is what an SPF check asks of DNS. *net.Resolver satisfies it.
type SPFResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Verifier checks what can be checked now: DKIM signatures (with
// go-msgauth's dkim), the ARC chain (RFC 8617 §5.2, implemented here:
// go-msgauth has none), the From domain's DMARC policy, and the SPF
// result of the origin IP (blitiri.com.ar/go/spf). Its zero value
// verifies nothing; set DNS.
type Verifier struct {
	// DNS answers the key, DMARC and SPF TXT questions. Nil means no
	// verification at all.
	DNS TXTResolver
	// SPF, when set, checks the origin IP against the envelope domain's
	// SPF policy. Nil means SPF is not checked.
	SPF SPFResolver
	// Timeout caps one DNS question. Zero means 5 seconds.
	Timeout time.Duration
	// MaxSignatures caps the DKIM signatures and the ARC sets verified.
	// Zero means 8.
	MaxSignatures int
	// MaxBytes caps the message size verified: a larger message's body
	// hashes are not computed (its signatures stay "none"). Zero means
	// 16 MiB.
	MaxBytes int
}

func (v *Verifier) timeout() time.Duration {
	if v.Timeout > 0 {
		return v.Timeout
	}
	return 5 * time.Second
}

func (v *Verifier) maxSigs() int {
	if v.MaxSignatures > 0 {
		return v.MaxSignatures
	}
	return 8
}

// errNoKey marks a key the DNS does not have (NXDOMAIN or no TXT): the
// signature cannot be checked now, which says nothing about when it was
// made (keys are rotated and removed).
var errNoKey = errors.New("auth: key not in DNS now")

// txt asks for a name's TXT records, recording for a name that does not
// exist errNoKey.
func (v *Verifier) txt(ctx context.Context, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, v.timeout())
	defer cancel()
	recs, err := v.DNS.LookupTXT(ctx, strings.TrimSuffix(name, "."))
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound || err == nil && len(recs) == 0 {
		return nil, fmt.Errorf("%w: %s", errNoKey, name)
	}
	return recs, err
}

// Verify checks ev's signatures, chain and policies against msg, the raw
// message, and fills the verify fields, the alignment and DMARCPolicy and
// OriginSPF. origin and helo are the origin hop's client and HELO. It
// returns the findings verification adds (also appended to ev.Findings).
// A key missing from DNS now gives temperror ("unverifiable now"), never
// fail.
func (v *Verifier) Verify(ctx context.Context, ev *Evidence, msg []byte, origin netip.Addr, helo string) []Finding {
	if v == nil || v.DNS == nil || ev == nil {
		return nil
	}
	ev.Verified = true
	n := len(ev.Findings)
	max := v.MaxBytes
	if max <= 0 {
		max = 16 << 20
	}
	if len(msg) <= max {
		v.verifyDKIM(ctx, ev, msg)
		v.verifyARC(ctx, ev, msg)
	} else {
		for i := range ev.DKIM {
			ev.DKIM[i].Error = fmt.Sprintf("message larger than %d bytes: not verified", max)
		}
	}
	rec := v.dmarc(ctx, ev)
	v.originSPF(ctx, ev, origin, helo)
	a := &analyzer{ev: ev}
	a.align(rec)
	for _, d := range ev.DKIM {
		if d.Verify == "fail" {
			ev.Findings = append(ev.Findings, Finding{
				Rule: "dkim-verify-fail", Category: CategoryAuthFail, Severity: SeverityLow, Hop: d.Hop,
				Message:  "the DKIM signature of " + d.Domain + " does not verify: " + d.Error,
				Evidence: clipEvidence(d.Raw),
			})
		}
	}
	if ev.ARCChain == "fail" && len(ev.ARC) > 0 {
		for _, s := range ev.ARC {
			if s.Verify == "fail" {
				ev.Findings = append(ev.Findings, Finding{Rule: "arc-verify-fail", Category: CategoryARCBroken, Severity: SeverityLow, Hop: s.Hop,
					Message: fmt.Sprintf("ARC instance %d (%s) does not verify: %s", s.Instance, s.Domain, s.Error), Evidence: clipEvidence(s.Seal)})
				break
			}
		}
	}
	if ev.DMARCPolicy == "reject" || ev.DMARCPolicy == "quarantine" {
		if ev.Alignment.DMARC == "fail" {
			// Forwarded mail (an ARC chain) breaks alignment honestly.
			sev := SeverityMedium
			if len(ev.ARC) > 0 {
				sev = SeverityLow
			}
			ev.Findings = append(ev.Findings, Finding{Rule: "dmarc-policy-fail", Category: CategoryAuthFail, Severity: sev, Hop: -1,
				Message: fmt.Sprintf("%s publishes DMARC p=%s and nothing authenticated aligns with it", ev.Alignment.FromDomain, ev.DMARCPolicy)})
		}
	}
	return ev.Findings[n:]
}

func (v *Verifier) verifyDKIM(ctx context.Context, ev *Evidence, msg []byte) {
	if len(ev.DKIM) == 0 {
		return
	}
	var mu sync.Mutex
	missing := map[string]bool{}
	opts := &dkim.VerifyOptions{
		MaxVerifications: v.maxSigs(),
		LookupTXT: func(name string) ([]string, error) {
			recs, err := v.txt(ctx, name)
			if errors.Is(err, errNoKey) {
				mu.Lock()
				missing[lower(strings.TrimSuffix(name, "."))] = true
				mu.Unlock()
				// go-msgauth reads a not-found *net.DNSError as permfail;
				// the caller turns it into temperror below.
				return nil, &net.DNSError{Err: "no such key", Name: name, IsNotFound: true}
			}
			return recs, err
		},
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), opts)
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) && len(vs) == 0 {
		for i := range ev.DKIM {
			ev.DKIM[i].Verify, ev.DKIM[i].Error = "temperror", "auth: verifying: "+err.Error()
		}
		return
	}
	// go-msgauth returns one verification per DKIM-Signature field, in
	// header order, as ev.DKIM holds them.
	for i := range ev.DKIM {
		d := &ev.DKIM[i]
		if i >= len(vs) {
			d.Error = "not verified: more signatures than MaxSignatures"
			continue
		}
		vr := vs[i]
		key := lower(d.Selector + "._domainkey." + d.Domain)
		switch {
		case vr.Err == nil:
			d.Verify = "pass"
		case missing[key]:
			d.Verify, d.Error = "temperror", "unverifiable now: the key "+key+" is not in DNS (rotated away?)"
		case dkim.IsTempFail(vr.Err):
			d.Verify, d.Error = "temperror", vr.Err.Error()
		case dkim.IsPermFail(vr.Err):
			d.Verify, d.Error = "permerror", vr.Err.Error()
		default:
			d.Verify, d.Error = "fail", vr.Err.Error()
			if strings.Contains(vr.Err.Error(), "body length") {
				d.Verify = "permerror" // go-msgauth refuses l= outright
			}
		}
	}
}

// dmarc looks up the From domain's policy, falling back to the
// organisational domain (RFC 7489 §6.6.3).
func (v *Verifier) dmarc(ctx context.Context, ev *Evidence) *dmarc.Record {
	from := domainOf(ev.Identities.From)
	if from == "" {
		return nil
	}
	lookup := func(name string) ([]string, error) {
		recs, err := v.txt(ctx, name)
		if errors.Is(err, errNoKey) {
			return nil, &net.DNSError{Err: "no record", Name: name, IsNotFound: true}
		}
		return recs, err
	}
	for _, d := range []string{from, orgDomain(from)} {
		rec, err := dmarc.LookupWithOptions(d, &dmarc.LookupOptions{LookupTXT: lookup})
		if err == nil {
			ev.DMARCPolicy = string(rec.Policy)
			if d != from && rec.SubdomainPolicy != "" {
				ev.DMARCPolicy = string(rec.SubdomainPolicy)
			}
			return rec
		}
		if !errors.Is(err, dmarc.ErrNoPolicy) {
			ev.DMARCError = err.Error()
			return nil
		}
		if d == orgDomain(from) {
			break
		}
	}
	return nil
}

func (v *Verifier) originSPF(ctx context.Context, ev *Evidence, origin netip.Addr, helo string) {
	if v.SPF == nil || !origin.IsValid() {
		return
	}
	sender := ev.Identities.EnvelopeFrom
	if !strings.Contains(sender, "@") {
		if sender == "" {
			return
		}
		sender = "postmaster@" + sender
	}
	ctx, cancel := context.WithTimeout(ctx, 4*v.timeout())
	defer cancel()
	res, err := spf.CheckHostWithSender(net.IP(origin.Unmap().AsSlice()), helo, sender, spf.WithContext(ctx), spf.WithResolver(v.SPF))
	ev.OriginSPF = string(res)
	if err != nil {
		ev.OriginSPFError = err.Error()
	}
}

// publicKey reads a DKIM key record (RFC 6376 §3.6.1) at
// selector._domainkey.domain.
func (v *Verifier) publicKey(ctx context.Context, domain, selector string) (crypto.PublicKey, error) {
	recs, err := v.txt(ctx, selector+"._domainkey."+domain)
	if err != nil {
		return nil, err
	}
	if len(recs) != 1 {
		return nil, fmt.Errorf("auth: %d key records at %s._domainkey.%s", len(recs), selector, domain)
	}
	tags, _ := ParseTags(recs[0])
	k, _ := tagValue(tags, "k")
	p, ok := tagValue(tags, "p")
	if !ok {
		return nil, fmt.Errorf("auth: key record at %s._domainkey.%s has no p=", selector, domain)
	}
	p = stripFWS(p)
	if p == "" {
		return nil, fmt.Errorf("%w: the key at %s._domainkey.%s is revoked (empty p=)", errNoKey, selector, domain)
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("auth: key at %s._domainkey.%s: %v", selector, domain, err)
	}
	switch lower(stripFWS(k)) {
	case "", "rsa":
		if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
			if rk, ok := pub.(*rsa.PublicKey); ok {
				return rk, nil
			}
			return nil, errors.New("auth: k=rsa record holds another key type")
		}
		rk, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("auth: key at %s._domainkey.%s: %v", selector, domain, err)
		}
		return rk, nil
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, errors.New("auth: ed25519 key of the wrong size")
		}
		return ed25519.PublicKey(der), nil
	}
	return nil, fmt.Errorf("auth: key type k=%s not supported", k)
}

// checkSig verifies a signature over data's SHA-256 hash (rsa-sha256,
// ed25519-sha256).
func checkSig(pub crypto.PublicKey, algo string, data, sig []byte) error {
	h := sha256.Sum256(data)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if algo != "rsa-sha256" {
			return fmt.Errorf("auth: a=%s does not fit an RSA key", algo)
		}
		if k.N.BitLen() < 1024 {
			return fmt.Errorf("auth: RSA key of %d bits is too short", k.N.BitLen())
		}
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig)
	case ed25519.PublicKey:
		if algo != "ed25519-sha256" {
			return fmt.Errorf("auth: a=%s does not fit an ed25519 key", algo)
		}
		if !ed25519.Verify(k, h[:], sig) {
			return errors.New("auth: ed25519 signature does not verify")
		}
		return nil
	}
	return errors.New("auth: unsupported key")
}
