// Package received parses Received header fields into typed hops.
//
// A Received field is the time stamp line an SMTP server prepends when it
// accepts a message (RFC 5321 section 4.4, RFC 5322 section 3.6.7). Read
// from the top, a message's Received fields describe its path backwards:
// who handed the message to whom, from which address, when, and how. This
// package reads one field at a time with [Parse] (or [ParseTo], into a hop
// the caller holds; a [Parser] for the fields of one message shares their
// allocations), and the fields of a whole message with [ReadMessage]
// ([ReadHeader] reads the header block and leaves the parsing to the
// caller).
//
// # Reading a header
//
// [ReadMessage] and [ReadHeader] read the header block of a raw message
// into a [Header] ([Message.Header]): its fields top first, each with its
// name as written, its value unfolded and its raw text. The block is read
// once into one string, and every name, value and raw text is a substring
// of it: reading costs a few allocations a message, none a field. Names
// are compared without canonicalising them, and a value is written out
// only when it is folded over more than one line holding text.
//
// The fields are exactly those go-message's textproto reader
// (github.com/emersion/go-message/textproto; this package does not depend
// on it) gives for the same block: [Field.Key] is its key (net/textproto's
// canonical form, "Message-Id" for "Message-ID"), [Field.Value] its
// Value, [Field.Raw] its Raw (line endings made CR LF), and [Header.Get],
// [Header.Values] and [Header.Has] match names as its keys match; a field
// with an empty name is skipped as it skips it. Unlike go-message's
// reader, ReadHeader skips an mbox "From " first line, reads CR-only line
// endings as line endings, skips a malformed line (no colon, a name with
// spaces or control bytes) with its continuation lines and goes on, and
// caps what it reads ([Limits]).
//
// # Parsing a hop
//
// [Parse] takes the field value (after "Received:", unfolded or not) and
// returns a [Hop]:
//
//	h, err := received.Parse(`from mail.example.net (mail.example.net [192.0.2.7])
//		by mx.example.org (Postfix) with ESMTPS id 4QxYz12abc
//		for <bob@example.org>; Wed, 29 Apr 2026 21:12:16 +0200 (CEST)`)
//
// Parse is best effort. It always returns every part it understood, with
// [Hop.Raw] holding the value exactly as given, and a non-nil error naming
// what it did not understand (leading junk, an unterminated comment, a date
// it could not read). The error never means the Hop is empty: a hop with an
// unreadable date still has its addresses. Parse never panics, and its time
// and memory are linear in the length of the value.
//
// Every string in a Hop is a substring of the value (except the typed
// [Protocol] and [Hop.Dialect]), so nothing the header said is rewritten,
// and parsing allocates at most one slice (the comments) per header.
//
// # What is read
//
// The clauses of RFC 5321 section 4.4 in any order and any case ("FROM",
// "By", "with"), each at most once: from, by, via, with, id and for.
// Keywords are recognised only where a value follows them, so "from" as a
// host name or a stray "by" before the date does no harm.
//
// From the from clause and its comments: the HELO/EHLO/LHLO name and the
// verb when written ("(HELO x)", "helo=x", "\"EHLO x\""), the reverse-DNS
// name the receiving MTA recorded ("name [address]", sendmail's "(may be
// forged)", "unknown"), the connecting address and port ("[192.0.2.1]:25",
// "([192.0.2.1]:25 helo=x)", "port=25", "[192.0.2.1:25]"), the ident or
// local user (RFC 1413 "user@host [address]", "IDENT:user@host", sendmail
// "(from user@localhost)", qmail "invoked by uid 89", Postfix "from userid
// 1000", Courier "(uid 1000)", qmail's "user@domain@address" after SMTP
// AUTH).
//
// From the by clause: the host, its own address when written (as the host,
// a literal or a comment), and the software comment ("Postfix",
// "8.15.2/8.15.2", "Exim 4.96" from the with clause, "CommuniGate Pro SMTP
// 6.2.14").
//
// From the with clause: the protocol as written and typed (RFC 3848 and
// the IANA Mail Transmission Types registry: SMTP, ESMTP, ESMTPS, ESMTPA,
// ESMTPSA, LMTP and its variants, UTF8SMTP and its variants, HTTP, IMAP,
// POP3, MAPI, local…), without the TLS details.
//
// From anywhere: TLS version, cipher and key bits (Postfix "using TLSv1.3
// with cipher X (256/256 bits)", sendmail, Gmail and Exchange
// "version=… cipher=… bits=…", Exim "(TLS1.2:cipher:256)" and the RFC 8314
// style "tls cipher" clause, OpenSMTPD "(TLSv1.3:cipher:256:NO)", Courier
// "TLS: TLSv1.2,256bits,cipher"); authentication ("Authenticated sender:",
// "(authenticated bits=0)", "(authenticated user x)", "AUTH: LOGIN x",
// CommuniGate "account x", OpenSMTPD "auth=yes user=x", or the A in
// ESMTPA); the envelope sender (Exim and sendmail "(envelope-from x)",
// Haraka's bare "envelope-from <x>"); Exchange's "id 15.1.2507.35", a build
// number kept as the id and never read as an address.
//
// The date is the text after the last top-level ';', read with
// [ParseDate]; [Hop.DateText] keeps it as written and [Hop.ZoneName] the
// zone name ("EST" in "-0500 (EST)").
//
// # Errors
//
// Parse's error is a *[ParseError]: the byte offset in the value, the
// [Clause] it falls in and the reason, with the *[DateError] of an
// unreadable date as its cause; when a value has several problems the
// error wraps one *ParseError each (Unwrap() []error). Read them with
// [errors.As]. [ParseDate] returns a *DateError, [ReadMessage] the sentinel
// [ErrNoHeader] (test it with [errors.Is]). Every message starts with
// "received: ".
//
// # IP literals
//
// [ParseIPLiteral] reads every form an address takes in Received headers:
// IPv4, IPv6 with or without the "IPv6:" tag of RFC 5321 section 4.1.3,
// IPv6 zones ("fe80::1%7", as Exchange Online writes them), IPv4-mapped
// IPv6, and the non-canonical forms no real MTA writes but forgers do:
// octets over 255, leading zeros, one decimal, hex or octal number
// (3735928559, 0xdeadbeef), dotted hex or octal parts, and short forms
// (127.1). Such literals are never dropped: [From.IPText] keeps the text,
// [From.IPForm] says how it is written, and [From.IP] holds the address it
// denotes when it denotes one (inet_aton rules), so the trace package can
// flag it. Bare addresses in the from part ("from 192.0.2.1 by",
// "(192.0.2.1)") are read too.
//
// # Dialects
//
// [Hop.Dialect] names the MTA family the header's shape or software
// comment shows: sendmail (8.9 to 8.18), postfix, exim, qmail, exchange
// (on-premises and Exchange Online, including "with mapi" and "via Frontend
// Transport"), smtpsvc (IIS), gmail, yahoo, hotmail, ses, sendgrid,
// mailgun, sparkpost (Momentum), zimbra, amavis, courier, communigate,
// domino, mdaemon, imail, cyrus, fetchmail, getmail, opensmtpd, haraka,
// proofpoint, mimecast, barracuda, groupwise, smartermail, kerio, zmailer
// (vger.kernel.org and its rhost-flags), and a few more. Hosted services are
// named by their receiving host, since they run other MTAs (Proofpoint runs
// sendmail). The dialect is a hint for display and statistics; parsing
// does not depend on it beyond the few rules below.
//
// # Leniencies
//
// Parse departs from RFC 5321 and RFC 5322 in these ways, all because real
// MTAs write such headers:
//
//   - Keywords are matched in any case, and a clause keyword that appears a
//     second time is read as part of the current clause (Mimecast's "with
//     ESMTP with STARTTLS").
//   - The from part may be missing (local submissions, "(qmail … invoked
//     …)"), the by part may be missing, and a header may be a date alone,
//     or comments and a date.
//   - A missing ';' before the date (SendGrid) is tolerated: a date is
//     looked for after the last clause, including Go's time.Time format
//     ("2026-04-29 19:12:16.1 +0000 UTC m=+7.8").
//   - Courier's id written after the date is cut from the date and kept as
//     the id; comments after the date ("(envelope-from x)") are read.
//   - A header wrapped whole in brackets ("[from a by b; date]") is read
//     inside them.
//   - An unterminated comment ends at the last ')' before a top-level ';'
//     when there is one (sendmail's "BASENAME(x.mc, .mc):RCS_REVISION("
//     leaves one open), so the clauses and date after it are still read;
//     it is reported.
//   - Comments nest to any depth in linear time; nesting deeper than 32
//     levels is reported but still matched.
//   - A literal glued to a name ("host[192.0.2.1]") and a literal with a
//     port (":25" after the bracket, or inside it) are read; "[local]",
//     "[unix socket]" and other literals without a digit are no address,
//     and nor is one holding marks no address is written with ('_', '-',
//     '@': Alibaba's "[MTA_---0WzjGRdB_1771929101]" session token), while
//     an address in parentheses inside the brackets ("[(192.0.2.1)]", a
//     "Generic MTA" gateway) is read as the address.
//   - qmail's SMTP AUTH comment "(user@192.0.2.1 with plain)" records an
//     authenticated submission ([Hop.Auth]) as well as the ident.
//   - A trailing dot on a reverse-DNS name (Gmail "mail.example.net.") is
//     dropped, "unknown" is recorded as [From.RDNSUnknown], not as a name.
//   - Exim and qmail write "from host" meaning the verified reverse-DNS
//     name when it matched the HELO: for those dialects, with no explicit
//     HELO marker, the name is both HELO and RDNS.
//   - In a local submission ("with local") a dotless name after "from" is
//     the local user (Exim "from root by …"); SMTPSVC's "from mail pickup
//     service" is a local submission too.
//   - A from part that is an address alone ("from 192.0.2.1 by … with
//     HTTP", "from [192.0.2.1] by …") records the address and no HELO;
//     with a comment beside it ("from [192.0.2.1] (host [192.0.2.1])") the
//     literal is the HELO the client gave.
//   - "from unknown" is the HELO as written (Postfix, sendmail), except
//     before an explicit HELO marker (qmail "from unknown (HELO x)"), where
//     it says the host had no name.
//   - CommuniGate's "([192.0.2.1] verified)" makes the from name the
//     reverse-DNS name too; SquirrelMail's "(proxying for 192.0.2.9)"
//     names the web client behind the connecting proxy and is not read as
//     the connecting address.
//   - NUL bytes, CR-only line ends, other control characters and invalid
//     UTF-8 are white space or ordinary bytes; nothing is decoded.
//
// # Limits
//
// Hostile values cost bounded time and memory. A value is scanned once
// into at most 64 top-level tokens (real headers have fewer than 30; the
// rest is scanned for the date but not interpreted, and reported); a from
// comment into at most 16; [Hop.Comments] keeps at most 32 comments; an
// error names at most 4 problems; [ParseDate] reads at most 256 bytes of
// the date; [ParseIPLiteral] rejects literals over 64 bytes. A 20 MB value
// or 50,000 nested parentheses are answered in milliseconds.
//
// # Concurrency
//
// Parse, ParseDate and ParseIPLiteral keep no state between calls and are
// safe for concurrent use, as are ReadMessage and ReadHeader (each call
// reads with buffers of its own) and the methods of a Header, which only
// read it; a [Parser] is for one goroutine at a time. The package's
// lookup tables are built at initialisation and only read afterwards.
package received
