package smtplog

import (
	"net/netip"
	"strings"
	"time"
)

// containsFold reports whether s contains the lower-case ASCII sub.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	first := sub[0]
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 != first && s[i] != first {
			continue
		}
		j := 1
		for ; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && containsFold(s[:len(prefix)], prefix)
}

// clientOf reads "NAME[IP]", "NAME[IP]:PORT", "[IP]:PORT" or "NAME [IP]"
// at the start of s; ok is false when there is no bracketed address.
// rest is what follows.
func clientOf(s string) (name string, ip netip.Addr, port uint16, rest string, ok bool) {
	b := strings.IndexByte(s, '[')
	if b < 0 {
		return "", netip.Addr{}, 0, s, false
	}
	e := strings.IndexByte(s[b:], ']')
	if e < 0 {
		return "", netip.Addr{}, 0, s, false
	}
	e += b
	name = strings.TrimSpace(s[:b])
	lit := s[b+1 : e]
	lit = strings.TrimPrefix(lit, "IPv6:")
	if p, err := netip.ParseAddrPort(lit); err == nil && strings.IndexByte(lit, '.') >= 0 {
		// Stalker writes "[192.0.2.1:1957]"
		ip, port = p.Addr(), p.Port()
	} else if a, err := netip.ParseAddr(lit); err == nil {
		ip = a
	} else {
		return "", netip.Addr{}, 0, s, false
	}
	rest = s[e+1:]
	if len(rest) > 1 && rest[0] == ':' && isDigit(rest[1]) {
		j := 1
		v := 0
		for j < len(rest) && isDigit(rest[j]) && v < 1<<16 {
			v = v*10 + int(rest[j]-'0')
			j++
		}
		if v < 1<<16 {
			port = uint16(v)
		}
		rest = rest[j:]
	}
	return name, ip.Unmap(), port, rest, true
}

// setClient records the client of sess unless already known.
func setClient(sess *Session, name string, ip netip.Addr, port uint16) {
	if !sess.Client.IsValid() {
		sess.Client = ip
	}
	if sess.ClientPort == 0 {
		sess.ClientPort = port
	}
	if sess.ClientName == "" {
		sess.ClientName = name
	}
}

// angle returns the text of the first "<...>" after key in s (key
// included, e.g. "from=<"), and whether key was found.
func angle(s, key string) (string, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", false
	}
	s = s[i+len(key):]
	if j := strings.IndexByte(s, '>'); j >= 0 {
		return s[:j], true
	}
	return s, true
}

// field returns the value after key up to ", ", a space or the end.
func field(s, key string) (string, bool) {
	i := strings.Index(s, key)
	for i > 0 && s[i-1] != ' ' && s[i-1] != ',' {
		j := strings.Index(s[i+1:], key)
		if j < 0 {
			return "", false
		}
		i += 1 + j
	}
	if i < 0 {
		return "", false
	}
	s = s[i+len(key):]
	if j := strings.IndexAny(s, ", "); j >= 0 {
		s = s[:j]
	}
	return s, true
}

// pathArg returns the address of a MAIL FROM / RCPT TO argument: the
// text inside angle brackets, or the first word.
func pathArg(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") {
		if j := strings.IndexByte(s, '>'); j >= 0 {
			return s[1:j]
		}
		return s[1:]
	}
	if j := strings.IndexByte(s, ' '); j >= 0 {
		s = s[:j]
	}
	return s
}

// replyCode splits "554 5.7.1 text" into "554" and "5.7.1".
func replyCode(s string) (code, enhanced string) {
	s = strings.TrimSpace(s)
	if len(s) >= 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && (len(s) == 3 || s[3] == ' ' || s[3] == '-') {
		code = s[:3]
		s = s[min(4, len(s)):]
	}
	if len(s) >= 5 && (s[0] == '2' || s[0] == '4' || s[0] == '5') && s[1] == '.' {
		j := strings.IndexByte(s, ' ')
		if j < 0 {
			j = len(s)
		}
		cand := s[:j]
		if strings.Count(cand, ".") == 2 && strings.Trim(cand, "0123456789.") == "" {
			enhanced = cand
		}
	}
	if code == "" && enhanced != "" {
		code = enhanced[:1] + "xx"
	}
	return code, enhanced
}

// blocklistMarkers precede the blocklist zone in the replies MTAs write:
// Postfix reject_rbl_client and postscreen ("blocked using"), Exim's
// usual dnslists messages and sendmail's FEATURE(dnsbl) ("listed at",
// "listed in", "listed by", "blacklisted at").
var blocklistMarkers = []string{"blocked using ", "listed at ", "listed in ", "listed by ", "blacklisted at ", "blocklisted at "}

// blocklistOf returns the DNS zone a reply names as listing the client.
func blocklistOf(s string) string {
	for _, m := range blocklistMarkers {
		i := strings.Index(s, m)
		if i < 0 {
			continue
		}
		z := s[i+len(m):]
		if j := strings.IndexAny(z, " ;,()<>\"'"); j >= 0 {
			z = z[:j]
		}
		z = strings.TrimRight(z, ".:")
		if strings.IndexByte(z, '.') > 0 && strings.Trim(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == "" {
			return z
		}
	}
	return ""
}

// httpMethods are the request methods an open-proxy probe sends.
var httpMethods = []string{"GET ", "POST ", "HEAD ", "PUT ", "CONNECT ", "OPTIONS ", "DELETE ", "TRACE ", "PATCH "}

// isHTTP reports whether a command line is an HTTP request line.
func isHTTP(s string) bool {
	s = strings.TrimSpace(s)
	for _, m := range httpMethods {
		if hasPrefixFold(s, strings.ToLower(m)) {
			return containsFold(s, " http/") || s[len(m):] == "/"
		}
	}
	return false
}

// verbOf returns the upper-cased first word of a command line.
func verbOf(s string) string {
	s = strings.TrimSpace(s)
	if j := strings.IndexAny(s, " :"); j >= 0 {
		s = s[:j]
	}
	if len(s) > 16 {
		s = s[:16]
	}
	return strings.ToUpper(s)
}

// trimLiteralCRLF removes the "\r\n" or "\r" Stalker writes as text.
func trimLiteralCRLF(s string) string {
	s = strings.TrimSuffix(s, `\n`)
	s = strings.TrimSuffix(s, `\r`)
	return strings.TrimRight(s, " ")
}

// command records one client command of a dialogue the log shows.
func (r *Reader) command(sess *Session, line string, t time.Time) *Command {
	verb := verbOf(line)
	c := r.addCommand(sess, Command{Time: t, Verb: verb, Line: line})
	arg := ""
	if j := strings.IndexByte(line, ':'); j >= 0 {
		arg = line[j+1:]
	}
	switch verb {
	case "HELO", "EHLO", "LHLO":
		f := strings.Fields(line)
		if len(f) > 1 {
			sess.HELO = f[1]
		}
	case "MAIL":
		if sess.MailFrom == "" {
			sess.MailFrom = pathArg(arg)
		}
	case "RCPT":
		sess.addRcpt(pathArg(arg))
	}
	if isHTTP(line) {
		sess.addAnomaly(AnomalyHTTPOnSMTP)
	}
	return c
}

// reply records the server's reply to the last command (or the greeting
// when none came yet).
func (r *Reader) reply(sess *Session, text string, t time.Time) {
	if len(sess.Commands) == 0 {
		sess.Banner = joinReply(sess, sess.Banner, text)
		r.serverName(sess, text)
		return
	}
	c := &sess.Commands[len(sess.Commands)-1]
	c.Reply = joinReply(sess, c.Reply, text)
	code, enh := replyCode(text)
	switch c.Verb {
	case "HELO", "EHLO":
		if code == "250" {
			r.serverName(sess, text)
		}
	case "AUTH":
		if code == "535" || code == "454" {
			sess.addAnomaly(AnomalyAuthFailed)
		}
	}
	if code != "" && (code[0] == '4' || code[0] == '5') && c.Verb != "" {
		rj := Rejection{Time: t, Stage: stageOf(c.Verb), Code: code, Enhanced: enh, Reply: text, Blocklist: blocklistOf(text)}
		if c.Verb == "RCPT" {
			if j := strings.IndexByte(c.Line, ':'); j >= 0 {
				rj.Recipient = pathArg(c.Line[j+1:])
			}
		}
		if rj.Stage != "" {
			r.addRejection(sess, rj)
		}
	}
}

// stageOf names the SMTP stage a refused command belongs to; "" for a
// command whose refusal is no rejection of mail (an unknown command).
func stageOf(verb string) string {
	switch verb {
	case "HELO", "EHLO", "LHLO":
		return "HELO"
	case "MAIL", "RCPT", "DATA", "AUTH", "STARTTLS", "BDAT":
		return verb
	case ".":
		return "END-OF-MESSAGE"
	}
	return ""
}

// serverName takes the server's name from its greeting or HELO reply
// ("220 mx.example.org ESMTP", "250 209.31.44.214 cannot verify x").
func (r *Reader) serverName(sess *Session, text string) {
	if sess.Server != "" {
		return
	}
	f := strings.Fields(strings.TrimLeft(text[min(4, len(text)):], " "))
	if len(text) < 4 || len(f) == 0 {
		return
	}
	name := f[0]
	if strings.ContainsAny(name, ".:") && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == "" {
		sess.Server = name
	}
}

// maxReply caps a banner or reply that a log repeats or continues.
const maxReply = 4 << 10

// joinReply appends a reply line, counting in Dropped what is past maxReply.
func joinReply(sess *Session, have, add string) string {
	switch {
	case have == "":
		return add
	case len(have)+1+len(add) > maxReply:
		sess.Dropped++
		return have
	}
	return have + "\n" + add
}
