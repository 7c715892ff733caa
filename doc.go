// Package spamtrace is a library and command for spam and phishing header
// forensics: where did a message really come from, which parts of its path
// are forged, and whom should it be reported to.
//
// The work is split into three packages, each usable on its own:
//
//   - [github.com/spamtrace/spamtrace/received] parses Received header
//     fields (RFC 5321 section 4.4, RFC 5322 section 3.6.7) in the dialects
//     real MTAs write into typed hops, and reads a message's header block.
//   - [github.com/spamtrace/spamtrace/trace] builds the hop graph of a
//     message, finds the trust boundary and the origin, runs forgery
//     heuristics and, when configured, resolves each hop (reverse DNS with
//     forward confirmation, GeoIP and ASN, DNSBL, netblock owner).
//   - [github.com/spamtrace/spamtrace/netblock] finds who owns an IP
//     address and where to report abuse, through RDAP (RFC 9082, RFC 9083)
//     and whois (RFC 3912) across the regional and national registries.
//
// The command in cmd/spamtrace prints traces as text, JSON Lines, Graphviz
// DOT or RFC 5965 abuse reports, over single messages, directories, mbox
// files and Maildir folders.
//
// Nothing here performs network I/O unless it is configured to.
package spamtrace
