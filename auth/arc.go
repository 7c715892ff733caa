package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// verifyARC validates the chain (RFC 8617 §5.2): the structure (already
// checked by Analyze), the newest ARC-Message-Signature, and every
// ARC-Seal. Each set's Verify is its seal's result ("pass" or "fail"; for
// the newest set its message signature too); a key missing from DNS
// leaves "none" with "unverifiable now" in Error. ARCChain becomes "pass"
// only when everything verifies.
func (v *Verifier) verifyARC(ctx context.Context, ev *Evidence, msg []byte) {
	if len(ev.ARC) == 0 {
		return
	}
	if len(ev.ARC) > v.maxSigs() {
		ev.ARC[0].Error = fmt.Sprintf("not verified: more than %d ARC sets", v.maxSigs())
		return
	}
	fields, body := splitMessage(msg)
	// The raw text of each instance's three fields.
	type set struct{ aar, ams, as string }
	sets := map[int]*set{}
	for _, f := range fields {
		var slot *string
		inst := 0
		switch lower(f.name) {
		case "arc-authentication-results":
			_, val, _ := strings.Cut(f.text, ":")
			inst, _ = parseInstance(strings.SplitN(val, ";", 2)[0])
		case "arc-message-signature":
			_, val, _ := strings.Cut(f.text, ":")
			inst, _, _ = amsInfo(val)
		case "arc-seal":
			_, val, _ := strings.Cut(f.text, ":")
			inst = parseARCSeal(val).instance
		default:
			continue
		}
		if inst == 0 {
			continue
		}
		s := sets[inst]
		if s == nil {
			s = &set{}
			sets[inst] = s
		}
		switch lower(f.name) {
		case "arc-authentication-results":
			slot = &s.aar
		case "arc-message-signature":
			slot = &s.ams
		default:
			slot = &s.as
		}
		if *slot == "" {
			*slot = f.text
		}
	}
	chainOK := ev.ARCChain != "fail"
	unverifiable := false
	top := len(ev.ARC)
	for k := range ev.ARC {
		as := &ev.ARC[k]
		s := sets[as.Instance]
		if s == nil || s.aar == "" || s.ams == "" || s.as == "" || as.Instance != k+1 {
			as.Verify, as.Error = "fail", "incomplete ARC set"
			chainOK = false
			continue
		}
		// The seal covers every set up to its own (RFC 8617 §5.1.1).
		var data strings.Builder
		for j := 1; j <= as.Instance; j++ {
			sj := sets[j]
			if sj == nil {
				break
			}
			data.WriteString(canonHeader(sj.aar, true))
			data.WriteString(canonHeader(sj.ams, true))
			if j < as.Instance {
				data.WriteString(canonHeader(sj.as, true))
			}
		}
		data.WriteString(strings.TrimSuffix(canonHeader(stripB(s.as), true), "\r\n"))
		err := v.checkTagged(ctx, s.as, []byte(data.String()))
		if err == nil && as.Instance == top {
			err = v.checkAMS(ctx, fields, body, s.ams)
		}
		switch {
		case err == nil:
			as.Verify = "pass"
		case errors.Is(err, errNoKey):
			as.Verify, as.Error = "none", "unverifiable now: "+err.Error()
			unverifiable = true
		default:
			as.Verify, as.Error = "fail", err.Error()
			chainOK = false
		}
	}
	switch {
	case !chainOK:
		ev.ARCChain = "fail"
	case unverifiable:
		ev.ARCChain = "none"
	default:
		ev.ARCChain = "pass"
	}
}

// checkTagged verifies the b= of a signature field over data with the key
// its d= and s= name.
func (v *Verifier) checkTagged(ctx context.Context, field string, data []byte) error {
	_, val, _ := strings.Cut(field, ":")
	tags, err := ParseTags(val)
	if err != nil {
		return err
	}
	d, _ := tagValue(tags, "d")
	s, _ := tagValue(tags, "s")
	a, _ := tagValue(tags, "a")
	b, _ := tagValue(tags, "b")
	if d == "" || s == "" {
		return errors.New("auth: signature lacks d= or s=")
	}
	sig, err := base64.StdEncoding.DecodeString(stripFWS(b))
	if err != nil {
		return fmt.Errorf("auth: b= is not base64: %v", err)
	}
	pub, err := v.publicKey(ctx, lower(stripFWS(d)), stripFWS(s))
	if err != nil {
		return err
	}
	return checkSig(pub, lower(stripFWS(a)), data, sig)
}

// checkAMS verifies an ARC-Message-Signature (RFC 8617 §4.1.2): a DKIM
// signature without v=, computed the DKIM way (RFC 6376 §3.7).
func (v *Verifier) checkAMS(ctx context.Context, fields []rawField, body []byte, ams string) error {
	_, val, _ := strings.Cut(ams, ":")
	tags, err := ParseTags(val)
	if err != nil {
		return err
	}
	c, _ := tagValue(tags, "c")
	hc, bc, _ := strings.Cut(lower(stripFWS(c)), "/")
	if hc == "" {
		hc = "simple"
	}
	if bc == "" {
		bc = "simple"
	}
	if hc != "simple" && hc != "relaxed" || bc != "simple" && bc != "relaxed" {
		return fmt.Errorf("auth: unknown canonicalization c=%s", c)
	}
	limit := int64(-1)
	if l, ok := tagValue(tags, "l"); ok {
		n, err := strconv.ParseInt(stripFWS(l), 10, 64)
		if err != nil || n < 0 {
			return errors.New("auth: bad l=")
		}
		limit = n
	}
	bh, _ := tagValue(tags, "bh")
	want, err := base64.StdEncoding.DecodeString(stripFWS(bh))
	if err != nil {
		return fmt.Errorf("auth: bh= is not base64: %v", err)
	}
	got := sha256Sum(canonBody(body, bc == "relaxed", limit))
	if string(got) != string(want) {
		return errors.New("auth: body hash does not match (the body changed)")
	}
	h, _ := tagValue(tags, "h")
	var data strings.Builder
	for _, f := range pickHeaders(fields, headerList(h)) {
		data.WriteString(canonHeader(f, hc == "relaxed"))
	}
	data.WriteString(strings.TrimSuffix(canonHeader(stripB(ams), hc == "relaxed"), "\r\n"))
	if err := v.checkTagged(ctx, ams, []byte(data.String())); err != nil {
		if errors.Is(err, errNoKey) {
			return err
		}
		return fmt.Errorf("auth: message signature: %w", err)
	}
	return nil
}
