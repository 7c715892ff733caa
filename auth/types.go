package auth

import (
	"net/netip"
	"time"
)

// Evidence is what a message's authentication fields say, attributed to
// the hops that wrote them. Build it with [Analyze]; [Verifier.Verify] fills
// the verification fields.
type Evidence struct {
	// Results are the methods of every Authentication-Results and
	// ARC-Authentication-Results field, one entry per method=result, in
	// header order.
	Results []Result
	// ResultFields are the results fields themselves, with the error of
	// each one that could not be read whole.
	ResultFields []ResultsField
	// DKIM are the DKIM-Signature fields, in header order.
	DKIM []DKIMSignature
	// ARC are the ARC sets, by instance (lowest first).
	ARC []ARCSet
	// ARCChain is the chain's state: "none" (no ARC sets, or not
	// verified), "pass" (verified) or "fail" (structurally broken, or a
	// signature that does not verify).
	ARCChain string
	// SPF are the Received-SPF fields, in header order.
	SPF []ReceivedSPF
	// Identities are the sender identities the message carries.
	Identities Identities
	// Alignment is computed from the trusted authentication results (and
	// the verified signatures when verification ran).
	Alignment Alignment
	// Verdicts are the vendor spam verdicts, decoded.
	Verdicts []Verdict
	// Verified is set when Verify ran (lookups on); when false nothing was
	// checked cryptographically and every verify field is "none".
	Verified bool
	// DMARCPolicy is the From domain's published DMARC policy ("none",
	// "quarantine", "reject"), empty when not looked up or none published;
	// DMARCError says why a lookup failed.
	DMARCPolicy, DMARCError string
	// OriginSPF is the SPF result of the origin IP for the envelope domain
	// when verified ("pass", "fail", ... as in RFC 7208 §2.6), empty when
	// not checked; OriginSPFError holds the checker's error.
	OriginSPF, OriginSPFError string
	// Findings are the cross-checks that failed.
	Findings []Finding
}

// Result is one method=result of a results field.
type Result struct {
	Header     string // "Authentication-Results" or "ARC-Authentication-Results"
	Field      int    // index into Evidence.ResultFields
	Hop        int    // hop whose server wrote it (see [Attribution]); -1 before the first hop
	Attributed Attribution
	AuthservID string
	Instance   int  // ARC instance (i=) of an ARC-Authentication-Results; 0 otherwise
	Trusted    bool // written at or inside the trust boundary, by a server that could have written it
	Method     string
	Result     string
	Reason     string
	Properties map[string]string // ptype.property -> value, e.g. "smtp.mailfrom"
	Comments   []string          // the comments of this method, without parentheses
	Raw        string            // the field's whole value
}

// ResultsField is one Authentication-Results or ARC-Authentication-Results
// field.
type ResultsField struct {
	Header     string
	Hop        int
	Attributed Attribution
	AuthservID string
	Version    string // authserv-id version when written ("1"), empty otherwise
	Instance   int
	Trusted    bool
	Raw        string
	// Err says what could not be read: a method with a bad result, an
	// unterminated comment. Items before the error are kept in Results.
	Err error

	above int // Received fields above the field
}

// Attribution says how a field was tied to the hop whose server wrote it.
type Attribution string

// Attributions, strongest first.
const (
	// AttrHost: the field's writer (authserv-id, d=, receiver=) is the
	// hop's by-host.
	AttrHost Attribution = "host"
	// AttrDomain: the writer and the by-host share the registered domain.
	AttrDomain Attribution = "domain"
	// AttrOperator: the writer and the by-host belong to one operator
	// (Microsoft's, Google's ... host names; see operators).
	AttrOperator Attribution = "operator"
	// AttrPosition: nothing names the writer; the field is given to the
	// hop below it, whose receiver prepended it with its trace fields.
	AttrPosition Attribution = "position"
)

// String returns the attribution's name.
func (a Attribution) String() string { return string(a) }

// DKIMSignature is one DKIM-Signature field's tags (RFC 6376 §3.5).
type DKIMSignature struct {
	Hop        int
	Domain     string   // d=
	Selector   string   // s=
	Identity   string   // i=, empty when absent
	Algorithm  string   // a=
	Canon      string   // c=, empty when absent (simple/simple)
	Headers    []string // h=, lower-cased
	BodyLength int64    // l=; -1 when absent
	Timestamp  time.Time
	Expiration time.Time
	BodyHash   string // bh=
	// Verify is "none" (not verified), "pass", "fail", "temperror" or
	// "permerror"; Error says why it is not pass.
	Verify string
	Error  string
	Raw    string
	Err    error // what could not be read in the tags

	above int // Received fields above the signature
}

// ARCSet is one ARC instance: its seal, message signature and results.
type ARCSet struct {
	Instance  int
	CV        string // the seal's cv=
	Domain    string // the seal's d=
	Selector  string // the seal's s=
	Algorithm string
	Timestamp time.Time
	Hop       int    // hop whose server sealed it
	Verify    string // "none" (not verified), "pass" or "fail"
	Error     string
	Seal      string // raw ARC-Seal value, empty if missing
	Signature string // raw ARC-Message-Signature value, empty if missing
	Results   string // raw ARC-Authentication-Results value, empty if missing
	AMSDomain string // the message signature's d=
	Err       error  // what could not be read, or a missing member
}

// ReceivedSPF is one Received-SPF field (RFC 7208 §9.1).
type ReceivedSPF struct {
	Hop          int
	Attributed   Attribution
	Trusted      bool
	Result       string // lower-cased: pass, fail, softfail, neutral, none, temperror, permerror
	Comment      string
	ClientIP     netip.Addr // client-ip=; zero when absent or invalid
	ClientIPText string
	HELO         string
	EnvelopeFrom string
	Receiver     string // receiver=, or the name the comment starts with ("google.com: ...")
	Identity     string // identity= (mailfrom, helo)
	Mechanism    string
	Raw          string
	Err          error
}

// Identities are the sender identities a message carries.
type Identities struct {
	EnvelopeFrom    string   // Return-Path, else a trusted hop's envelope-from, smtp.mailfrom or Received-SPF
	From            string   // the From address
	Sender          string   // the Sender address
	ReplyTo         []string // the Reply-To addresses
	DKIMDomains     []string // d= of the signatures, in order, without repeats
	HeaderFrom      []string // header.from of trusted results, without repeats
	MessageIDDomain string   // the domain of Message-ID
	OriginHELO      string   // the HELO of the origin hop
}

// Alignment is DMARC identifier alignment (RFC 7489 §3.1) computed from
// the trusted results and the verified signatures.
type Alignment struct {
	SPF, DKIM             bool   // relaxed alignment: same organisational domain as From
	SPFStrict, DKIMStrict bool   // strict: the same domain
	DMARC                 string // "pass", "fail" or "none" (nothing authenticated to judge by)
	FromDomain            string
	SPFDomain, DKIMDomain string // the authenticated domain that aligned (or was checked)
}

// Verdict is one vendor's spam verdict, decoded.
type Verdict struct {
	Vendor  string // "microsoft", "spamassassin", "rspamd"
	Header  string
	Name    string // e.g. "SCL", "SFV", "score"
	Value   string
	Meaning string
	Hop     int
	Trusted bool
}

// Severity ranks a finding, as trace's Severity does (same names).
type Severity uint8

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
)

// String returns "info", "low", "medium" or "high".
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	}
	return "high"
}

// Category names a finding's kind; the names are trace's categories.
type Category string

// Categories.
const (
	CategoryForgedAuthResults Category = "forged-auth-results"
	CategoryAuthFail          Category = "auth-fail"
	CategoryIdentityMismatch  Category = "identity-mismatch"
	CategoryDKIMReplay        Category = "dkim-replay"
	CategoryARCBroken         Category = "arc-broken"
	CategorySPFClientMismatch Category = "spf-client-mismatch"
)

// Finding is one failed cross-check.
type Finding struct {
	Rule     string
	Category Category
	Severity Severity
	Hop      int // -1 for the message as a whole
	Message  string
	Evidence string
}
