// Package trace follows a message back along its Received header fields:
// which servers handed it on, which of them can be believed, where it
// really came from, and what in the headers looks forged.
//
// A trace is the hop chain of one message. Each Received field (parsed by
// [received.Parse] into a [received.Hop]) is one hop: a server saying "I
// received this from that client at that time" (RFC 5321 section 4.4).
// Read from the top, the fields run backwards in time: [Trace.Hops][0] is
// the recipient's own server, the last hop the oldest claim. Everything a
// hop says was written by its own server, so a hop is only as good as the
// server that wrote it. A sender can put any number of made-up fields into
// the message before sending it; they end up below the real ones, never
// above. The trace works out where that line runs.
//
//	tr, err := trace.TraceMessage(ctx, f) // offline, trust inferred from the headers
//	if err != nil { ... }                 // no header could be read at all
//	if tr.Origin.IsValid() {
//		fmt.Println(tr.Origin.IP, tr.Origin.Reason)
//	}
//	for _, f := range tr.Findings {
//		if f.Severity >= trace.SeverityMedium { ... }
//	}
//
// [TraceMessage] traces a raw message (an mbox "From " line is allowed)
// with the zero [Tracer]; a Tracer configured with the recipient's own
// networks, relays and domains traces more precisely. [Tracer.TraceHeader]
// and [Tracer.TraceHops] trace a header or hops the caller has already read.
// [Trace.Path] gives the hops origin first.
//
// # The chain
//
// Each pair of adjacent hops is joined by an [Edge]. The upper hop
// recorded its client (HELO name, reverse-DNS name, address); the lower hop
// was written by a server (its by host and address). The edge's [Match]
// says how strongly the two name the same machine: the same address
// ([MatchIP]), the same host name ([MatchHost]), the same registered domain
// by the public suffix list ([MatchDomain]), one server handing the message
// to itself through a filter ([MatchLocal]), too little to compare
// ([MatchNoData]), or no connection at all ([MatchNone], a break in the
// chain: Edge.Broken). A fetch hop (POP3, IMAP, fetchmail, getmail) starts
// a new chain: the mailbox server's own.
//
// # Trust and origin
//
// The walk starts at the top, the way SpamCop reads headers: the topmost
// hop was written by the recipient's own server, so it is trusted
// ([TrustTrusted]). A trusted hop vouches for its client; when that client
// is itself trusted infrastructure, the hop below (which the client wrote)
// is trusted too. A client counts as trusted infrastructure when its
// address is in [Tracer.TrustedNetworks], or is private, loopback or
// link-local; when its reverse-DNS name is in [Tracer.TrustedHosts] or
// [Tracer.LocalDomains]; when the hop is a mailbox fetch; when it is a
// large provider's relay inside that provider's own network (Microsoft
// 365); when its reverse-DNS name shares the receiving server's registered
// domain; or when the hop is an internal hand-off naming no client. An
// authenticated submission (SMTP AUTH, ESMTPA) stops the walk, its client
// being the sender, and so does a broken edge below the hop. So does a hop
// where the message was written: a local program's submission or a
// server's own bounce whose queue id the Message-ID carries, a report
// (multipart/report) at its server's no-from hop under a Message-ID naming
// that server, and an Exchange "with mapi" hop under a Message-ID its
// server made; an older hop claiming an outside client below such a hop
// is not believed. An internal client does not vouch for an older hop whose
// server is named only "localhost" or a loopback address and which records
// an outside client, nor does an end-user machine's internal address.
//
// The first trusted hop whose client is not trusted is the origin hop
// ([TrustOrigin]); the client address it recorded is the [Origin] of the
// message, with a Reason in words. Every hop below it is
// [TrustUnverifiable]: what those hops say may be true or made up, and
// nothing in the headers can tell. When the whole chain is trusted, the
// origin is the lowest hop that recorded a client address.
//
// Addresses a webmail or submission service recorded in a header of its
// own (X-Originating-IP and the like) are listed in [Trace.ClientIPs]; the
// trust walk does not use them.
//
// A message without Received fields has no origin: its Origin has Hop -1,
// and [Origin.IsValid] reports false. Test an Origin with IsValid, not by
// its Hop: the zero Origin has Hop 0 but is no origin.
//
// # Findings
//
// A [Finding] is one piece of evidence, with a stable Rule id, a
// [Category], a [Severity], the hop it is about (-1 for the message as a
// whole), a sentence for a person and the header text it rests on.
// [Trace.Findings] lists the message's own findings first, then the hops'
// in header order, the most severe first within a hop.
//
// Severities are [SeverityInfo], [SeverityLow], [SeverityMedium] and
// [SeverityHigh], in rank order. Medium and high are kept for evidence an
// analyst would stand behind, which legitimate mail rarely raises
// (internal/cmd/forgeeval measures how rarely, on the SpamAssassin public
// corpus). A false forgery claim on legitimate mail is the worst mistake a
// tracer can make, so a check that cannot tell forgery from an odd but
// honest setup stays at info or low. The zero Severity is [SeverityNone],
// which no finding carries.
//
// The categories, and when each severity is given:
//
//   - [CategoryBrokenChain] "broken-chain": medium when a hop does not
//     connect to the hop above it (the server below is not the client the
//     hop above recorded, or is a stranger below an opaque internal hop);
//     low for a hop below a local submission (a list manager or filter
//     re-injecting mail, or a forgery).
//   - [CategoryTimezoneMismatch] "timezone-mismatch": a zone name that
//     contradicts the numeric offset beside it ("-0600 (EST)"), in a hop's
//     date or the Date header; high for UT, UTC, GMT and the North
//     American names (EST, PDT…), medium for the others known (CET, JST…).
//     A name used in several regions (CST, IST, BST) is reported only when
//     none of its meanings fits; an unknown name never.
//   - [CategoryQueueIDTime] "queue-id-time": a queue id that encodes its
//     own time (sendmail 8.6 to 8.9 and 8.10 and later, Postfix long queue
//     ids, Exim message ids), written by a server of that software, more
//     than 15 minutes from the hop's date; low, medium from an hour, high
//     from two hours.
//   - [CategoryInvalidIP] "invalid-ip": high for a connecting address that
//     is no IP address at all (an octet over 255, a malformed literal);
//     medium for a reverse-DNS or by name that is a literal with an octet
//     over 255, low for such a HELO.
//   - [CategoryReservedIP] "reserved-ip": high for a connecting address in
//     a range no real client connects from (RFC 6890: "this network",
//     documentation, benchmarking, multicast, class E, unspecified,
//     discard-only); info for a private, shared (RFC 6598), loopback,
//     link-local or unique-local address, low below the trust boundary.
//   - [CategoryEncodedIP] "encoded-ip": high for a connecting address
//     written as one decimal, hex or octal number, in dotted hex or octal,
//     in short form (127.1) or with leading zeros, and for a HELO,
//     reverse-DNS or by name that is such a number: inet_aton accepts
//     them, no MTA writes them.
//   - [CategoryTimeTravel] "time-travel": a hop dated after the hop above
//     it, which received the message from it, by more than
//     [Tracer.ClockTolerance]; low, medium from 13 hours, high from a day.
//   - [CategoryHELOIPMismatch] "helo-ip-mismatch": a HELO that is an
//     address outside the connecting address's /24 (IPv4) or /64 (IPv6);
//     medium, info when the HELO address is private (a client behind NAT).
//   - [CategoryDynamicHost] "dynamic-host": a sending system whose
//     reverse-DNS name (or HELO) is a dial-up, DSL or pool name (it spells
//     out its address, or has a label such as "ppp", "dsl", "dyn" or
//     "pool"); web mail (with HTTP) is not checked. Info on a trusted or
//     authenticated hop; low for a home connection handing mail to its own
//     ISP's server; medium for the origin delivering straight to the
//     recipient's servers, and below the origin for a hop handing the
//     message to another end-user machine, to a third network's server for
//     a domain none of the recipients is in, or sitting below the hop where
//     a user submitted the message; low for any other hop below the origin
//     (a home machine handing mail to a mail server is how much honest
//     mail starts).
//   - [CategoryDateSkew] "date-skew": the Date header more than a day from
//     the earliest Received date; low, medium beyond a week.
//   - [CategoryFutureDate] "future-date": medium for a hop or a Date
//     header dated more than a day after [Tracer.Now].
//   - [CategoryForgedHELO] "forged-helo": high for a HELO claiming one of
//     [Tracer.LocalDomains] from outside; medium for a HELO naming the
//     receiving server itself, or a large provider (gmail.com, yahoo.com,
//     outlook.com…) while the recorded reverse DNS is elsewhere. Trusted
//     and private clients are not checked.
//   - [CategoryUnparseableHop] "unparseable-hop": part of a hop not
//     understood (its [received.ParseError] is in [Hop.ParseErr]); info,
//     low when neither an address, a by host nor a date could be read; low
//     for the message ("header-truncated") when a reading limit cut the
//     header short.
//   - [CategorySpamware] "spamware": medium for the "alt1" HELO or host
//     name bulk mailers leave in forged hops.
//   - [CategoryRDNSMismatch] "rdns-mismatch" (with [Lookups]): low when the
//     reverse DNS the receiving server recorded differs from today's, or
//     the origin's reverse DNS does not resolve back to its address.
//   - [CategoryDNSBL] "dnsbl" (with [Lookups]): an untrusted hop's IPv4
//     address listed on a configured blocklist; low, medium for the origin.
//
// # Offline and online
//
// A trace without [Tracer.Lookups] reads nothing but the message: no DNS,
// no registry, no file. Every category above but the last two comes from
// the headers alone, with the public suffix list compiled in
// (golang.org/x/net/publicsuffix) for registered domains.
//
// With a [Lookups] set, [Tracer.Trace] then resolves each hop's connecting
// address into [Hop.Lookup]: reverse DNS with forward confirmation, GeoIP
// and ASN ([GeoDB] reads .mmdb files), DNSBL listings (IPv4, untrusted
// hops), and the netblock owner with its abuse contacts (a
// [netblock.Client], untrusted hops). Private and special-purpose
// addresses are never asked about. The lookups of one message share a
// time budget ([Lookups.Budget]) and each question has a timeout
// ([Lookups.Timeout]); a failed lookup is recorded in that hop's
// [Lookup.Errors], never as the trace's error. The context given to Trace
// cancels them. [TraceMessage], [Tracer.TraceHeader] and
// [Tracer.TraceHops] never look anything up.
//
// # Limits
//
// Reading a message is capped by [Tracer.Limits] ([received.Limits]: 1 MiB
// of header and 100 Received fields when nil). Hitting a cap is a finding
// and a line in [Trace.HeaderErrors], and the trace covers what was read.
// Hostile headers get findings and errors, never a panic or unbounded
// work.
//
// # Concurrency
//
// A [Tracer] is safe for concurrent use once configured: do not change its
// fields while traces run. A [Lookups] and a [GeoDB] are safe for
// concurrent use and meant to be shared, so a bulk run asks each distinct
// question once. A [Trace] belongs to the caller.
package trace
