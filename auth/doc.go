// Package auth reads a message's authentication evidence — the
// Authentication-Results and ARC fields, DKIM signatures, Received-SPF and
// the vendors' spam verdicts — ties each field to the hop whose server
// wrote it, and believes it only when that hop lies at or inside the trust
// boundary. It knows package received (the hops) and nothing of package
// trace, which calls it after its trust walk.
//
// [Analyze] does no I/O. [Verifier.Verify] checks what can be checked now
// through DNS. Both are safe for concurrent use on different inputs.
//
// # Parsing
//
// Every field keeps its raw value and an error of its own; items read
// before and after a bad one are kept.
//
//   - Authentication-Results and ARC-Authentication-Results (RFC 8601
//     §2.2, RFC 8617 §4.1.1): [ParseResults] gives the authserv-id and
//     version, and each method=result with its reason, every property
//     ("ptype.property" as written) and its comments.
//   - DKIM-Signature (RFC 6376 §3.5): [ParseDKIMSignature] reads d, s, i,
//     a, c, h, l, t, x and bh; [ParseTags] is the tag list (§3.2).
//   - ARC-Seal and ARC-Message-Signature (RFC 8617 §4.1.2, §4.1.3): the
//     instance, cv, d, s, a and t, grouped into [ARCSet]s.
//   - Received-SPF (RFC 7208 §9.1): [ParseReceivedSPF] reads the result,
//     the comment and client-ip, helo, envelope-from, receiver, identity,
//     mechanism.
//   - Vendor verdicts, decoded by tables in vendor.go (each with its
//     source): X-Forefront-Antispam-Report (CIP CTRY LANG SCL SFV IPV H PTR
//     CAT SFTY DIR), X-Microsoft-Antispam (BCL) and
//     X-MS-Exchange-Organization-SCL from Microsoft's "Anti-spam message
//     headers" documentation; X-Spam-Status, -Flag and -Score from
//     SpamAssassin's; X-Spamd-Result from rspamd's.
//
// # Where go-msgauth is used, and where not
//
// github.com/emersion/go-msgauth is the field's library. Its dkim package
// verifies DKIM signatures here ([Verifier] closes its LookupTXT over the
// caller's context and resolver), and its dmarc package reads DMARC
// records. Its authres parser is not used to read results: it drops the
// comments (where Google and Microsoft write the client address and
// policy), keeps only the properties its typed results know (an SPF
// result loses smtp.helo, a DKIM result header.s and header.b) and returns
// Microsoft's compauth as an untyped GenericResult; Microsoft's fields
// without an authserv-id do not read as RFC 8601 at all. ParseResults is
// our own cursor over the field instead, and the tests check that it
// agrees with authres on the RFC's examples. go-msgauth has no ARC
// verification: ours is in arc.go, on RFC 8617 §5.2 with DKIM's
// canonicalisation (canon.go, checked in the tests against go-msgauth's
// DKIM signer). SPF is checked with blitiri.com.ar/go/spf.
//
// # Leniencies
//
//   - A results field whose first item is already method=result has no
//     authserv-id (Microsoft); a bare domain between methods ("header.d=
//     none;example.com; dmarc=...", Microsoft again) is skipped.
//   - A property without a ptype ("action=none") is kept under its bare
//     name; a result outside the IANA registry is kept with an error
//     (Microsoft's bestguesspass and compauth's softpass are accepted).
//   - Received-SPF results are read case-insensitively ("None", "Pass"),
//     and without receiver= the name the comment starts with
//     ("google.com: domain of ...") names the receiver.
//
// # Attribution and trust
//
// A receiver prepends its trace fields above its Received field (RFC 5321
// §4.4, RFC 8601 §5), but Gmail and milters (OpenDKIM, OpenDMARC,
// amavisd-milter) write theirs directly below it. So a field lying between
// two Received fields has two candidates: the hop below it (prepended) and,
// when the field is in the unbroken run of trace fields directly below a
// Received field, the hop above it. The writer the field names —
// authserv-id, ARC d=, Received-SPF receiver (or its comment), Microsoft
// for its own fields — decides between them by host, then organisational
// domain, then operator (Microsoft's, Google's ... several domains; see
// operators in domain.go); a client address the field records breaks a
// tie; with no name the hop below wins ([AttrPosition]). A writer that is
// exactly another hop's server is not taken for a neighbour's sibling
// host. A field below every Received field was written before the first
// hop (hop -1), except where an operator is known to append its fields
// below the message's own (Mimecast's results, Exchange Online's antispam
// fields; the appendsAtEnd table): those go to its most recent hop.
//
// A field is trusted when its hop is trusted or the origin hop (both were
// written by a trusted server), or lies just below a trusted hop that
// records its client by no address or a loopback one (LMTP delivery, a
// content filter) and has that hop's own server as its by-host: the
// trust walk stops at such a hop for want of an address, but the same
// server wrote both. Everything else is shown and never believed.
//
// A results field whose authserv-id names a trusted receiver (a trusted
// hop's by-host or its organisational domain, a local domain, or the
// authserv-id of a trusted results field) but that is not trusted is
// forged-auth-results, high: the receiver could not have written it
// there. A server reports each method once: a field in a hop's milter
// slot that repeats a method of the hop's field in its prepend slot (which
// the sender cannot reach), or of a field above it in the milter slot
// under the same authserv-id, is given to the hop below and so judged the
// same way. Honest limits: a message made on a trusted server (its lowest
// hop a local handoff) has every field below that hop believed, whoever
// on the machine wrote it; an injected field that reports other methods
// than the receiver's own cannot be told from a milter's by position; and
// a results field below the boundary by a server the recipient does not
// trust is normal for forwarded and list mail, so it is only shown
// untrusted, not reported. A host in a trusted receiver's domain that the
// walk did not reach gives a low finding only.
//
// # Identities and alignment
//
// Envelope from (Return-Path, else a trusted hop's envelope-from, a
// trusted smtp.mailfrom or Received-SPF), From, Sender, Reply-To, the DKIM
// d= domains, Message-ID's domain and the origin's HELO. DMARC alignment
// (RFC 7489 §3.1) is computed from the trusted SPF and DKIM passes (and,
// after verification, the verified signatures and the origin's SPF),
// relaxed and strict; organisational domains come from
// golang.org/x/net/publicsuffix after lower-casing and IDNA conversion.
// A published DMARC record's adkim/aspf pick the mode of the verdict.
//
// # Verification
//
// Only with a [Verifier] (spamtrace -resolve, through -dns-server). A key
// missing from DNS now (NXDOMAIN, no record, an empty p=) makes a DKIM
// signature temperror and an ARC set "none", both "unverifiable now":
// keys are rotated away, and an old signature is not a forged one.
// Offline, Evidence.Verified is false and every verify field is "none".
package auth
