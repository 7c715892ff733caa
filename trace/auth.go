package trace

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/spamtrace/spamtrace/auth"
	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// Categories of the authentication evidence (package auth): the names are
// auth's.
const (
	CategoryForgedAuthResults Category = Category(auth.CategoryForgedAuthResults)
	CategoryAuthFail          Category = Category(auth.CategoryAuthFail)
	CategoryIdentityMismatch  Category = Category(auth.CategoryIdentityMismatch)
	CategoryDKIMReplay        Category = Category(auth.CategoryDKIMReplay)
	CategoryARCBroken         Category = Category(auth.CategoryARCBroken)
	CategorySPFClientMismatch Category = Category(auth.CategorySPFClientMismatch)
)

// authFieldNames are the fields of auth.Wants that keepField keeps besides
// the summary fields (not X-Original-To: a trace has never kept it).
var authFieldNames = []string{
	"Authentication-Results", "ARC-Authentication-Results", "ARC-Seal", "ARC-Message-Signature",
	"DKIM-Signature", "Received-SPF", "Sender", "X-Forefront-Antispam-Report", "X-Microsoft-Antispam",
	"X-MS-Exchange-Organization-SCL", "X-Spam-Status", "X-Spam-Flag", "X-Spam-Score", "X-Spamd-Result",
}

// authInputs are reused: auth.Analyze keeps nothing of its Input.
var authInputs = sync.Pool{New: func() any { return new(auth.Input) }}

// authInput is what auth.Analyze needs of a trace after its trust walk.
func (t *Tracer) authInput(tr *Trace, h received.Header) *auth.Input {
	in := authInputs.Get().(*auth.Input)
	*in = auth.Input{Hops: in.Hops[:0], Fields: in.Fields[:0], Origin: tr.Origin.Hop, LocalDomains: t.LocalDomains}
	for i := range tr.Hops {
		hop := &tr.Hops[i]
		in.Hops = append(in.Hops, auth.Hop{Received: &hop.Received, Trusted: hop.Trust == TrustTrusted || hop.Trust == TrustOrigin})
	}
	for i := range h {
		f := &h[i]
		if len(f.Name) == 12 && ascii.EqualFold(f.Name, "Content-Type") {
			// Kept for Header.report only; the runs the analysis reads
			// were measured without it, so it breaks none.
			continue
		}
		// Every other field is given, as Analyze finds the kind of each
		// (a field it does not read only breaks runs). It matches names
		// ignoring ASCII case, and only a vendor field's name (all begin
		// "X-") reaches its result (Verdict.Header): only those are given
		// as their key, the form a trace has always shown.
		name := f.Name
		if name[0] == 'X' || name[0] == 'x' {
			name = f.Key()
		}
		in.Fields = append(in.Fields, auth.Field{Name: name, Value: f.Value})
	}
	if t.Now != nil {
		in.Now = t.Now()
	}
	return in
}

// addAuth analyses the authentication fields and adds their findings.
func (t *Tracer) addAuth(tr *Trace, h received.Header) {
	if t.NoAuth {
		return
	}
	in := t.authInput(tr, h)
	tr.Auth = auth.Analyze(in)
	clear(in.Hops)
	clear(in.Fields)
	if cap(in.Fields) <= 256 {
		authInputs.Put(in)
	}
	t.addAuthFindings(tr, tr.Auth.Findings)
}

func (t *Tracer) addAuthFindings(tr *Trace, fs []auth.Finding) {
	if len(fs) == 0 {
		return
	}
	for _, f := range fs {
		sev, _ := ParseSeverity(f.Severity.String())
		tr.Findings = append(tr.Findings, Finding{Rule: f.Rule, Category: Category(f.Category), Severity: sev,
			Hop: f.Hop, Message: f.Message, Evidence: f.Evidence})
	}
	sortFindings(tr.Findings)
}

// TXTResolver is the TXT lookup authentication checks need (DKIM and ARC
// keys, DMARC and SPF policies). It is optional: a Lookups' DNS that also
// has LookupTXT (as *net.Resolver does) verifies signatures; one without
// leaves them unverified.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// maxVerifyBytes caps the message read whole for verification; beyond it
// the body is not hashed and the signatures stay unverified.
const maxVerifyBytes = 16 << 20

// verifier returns the Verifier lookups allow, or nil.
func (t *Tracer) verifier() *auth.Verifier {
	if t.NoAuth || t.Lookups == nil || t.Lookups.DNS == nil {
		return nil
	}
	txt, ok := t.Lookups.DNS.(TXTResolver)
	if !ok {
		return nil
	}
	t.Lookups.init()
	d := &authDNS{l: t.Lookups, txt: txt}
	v := &auth.Verifier{DNS: d, Timeout: t.Lookups.timeout(), MaxBytes: maxVerifyBytes}
	if s, ok := t.Lookups.DNS.(auth.SPFResolver); ok {
		d.spf = s
		v.SPF = d
	}
	return v
}

// readForVerify reads the whole message when it will be verified (DKIM
// body hashes need the body), and returns a reader over it for the header.
func (t *Tracer) readForVerify(raw io.Reader) ([]byte, io.Reader, error) {
	if t.verifier() == nil {
		return nil, raw, nil
	}
	full, err := io.ReadAll(io.LimitReader(raw, maxVerifyBytes+1))
	if err != nil && len(full) == 0 {
		return nil, nil, err
	}
	return full, bytes.NewReader(full), nil
}

// verifyAuth runs the checks that need DNS and adds their findings.
func (t *Tracer) verifyAuth(ctx context.Context, tr *Trace, full []byte) {
	v := t.verifier()
	if v == nil || tr.Auth == nil {
		return
	}
	var helo string
	if o := tr.Origin.Hop; o >= 0 && o < len(tr.Hops) {
		helo = tr.Hops[o].Received.From.HELO
	}
	t.addAuthFindings(tr, v.Verify(ctx, tr.Auth, full, tr.Origin.IP, helo))
}
