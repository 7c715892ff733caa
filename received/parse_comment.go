package received

import (
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// Markers that may stand in any comment, or loose in the header: TLS
// parameters, authentication, the envelope sender, local submission.

// comment reads markers that may stand in any comment: TLS parameters,
// authentication, the envelope sender, local submission and software.
func (p *parser) comment(c string, where clause) {
	h := &p.hop
	if len(c) < 3 {
		return
	}
	var m markerPos
	d := findMarkers(c, &m)
	if d < len(dialectMarkers) && p.comDialect == 0 {
		p.comDialect = d + 1
	}
	p.lastDialect = d
	// TLS: Postfix "using TLSv1.3 with cipher X (256/256 bits)".
	if m.has(mUsing) && m.has(mCipher) && m.at(mCipher) > m.at(mUsing) {
		k := m.at(mUsing)
		if h.TLS.Version == "" {
			h.TLS.Version = firstWord(c[k+6:])
		}
		if m.has(mWithCipher) && h.TLS.Cipher == "" {
			h.TLS.Cipher = firstWord(c[m.at(mWithCipher)+12:])
		}
		if j := strings.Index(c, " bits)"); j > 0 && h.TLS.Bits == 0 {
			h.TLS.Bits = bitsBefore(c[:j])
		}
	}
	// sendmail, Gmail, Exchange, Haraka: version=... cipher=... bits=...
	if m.has(mVersionEq) && (m.has(mCipherEq) || m.has(mCipherSpEq)) {
		if h.TLS.Version == "" {
			h.TLS.Version = valueAfter(c[m.at(mVersionEq)+8:])
		}
		if m.has(mCipherEq) && h.TLS.Cipher == "" {
			h.TLS.Cipher = valueAfter(c[m.at(mCipherEq)+7:])
		}
		if m.has(mBitsEq) && h.TLS.Bits == 0 {
			h.TLS.Bits = atoiPrefix(c[m.at(mBitsEq)+5:])
		}
	}
	// Exim "TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256", OpenSMTPD
	// "TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO", or Exim 4.9x "(TLS1.3)".
	if (hasPrefixFoldFast(c, "TLS") || hasPrefixFoldFast(c, "SSL")) && strings.IndexByte(c, ' ') < 0 {
		k := strings.IndexByte(c, ':')
		if k < 0 {
			if h.TLS.Version == "" {
				h.TLS.Version = c
			}
		} else {
			if h.TLS.Version == "" {
				h.TLS.Version = c[:k]
			}
			rest := c[k+1:]
			j := strings.IndexByte(rest, ':')
			if j < 0 {
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = rest
				}
			} else {
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = rest[:j]
				}
				if h.TLS.Bits == 0 {
					h.TLS.Bits = atoiPrefix(rest[j+1:])
				}
			}
		}
	}
	// Courier: "TLS: TLSv1/SSLv3,256bits,AES256-SHA"
	if m.has(mTLSColon) {
		v := c[m.at(mTLSColon)+5:]
		if e := strings.IndexByte(v, ')'); e >= 0 {
			v = v[:e]
		}
		if i := strings.IndexByte(v, ','); i > 0 {
			if h.TLS.Version == "" {
				h.TLS.Version = v[:i]
			}
			rest := v[i+1:]
			if j := strings.IndexByte(rest, ','); j > 0 {
				if h.TLS.Bits == 0 {
					h.TLS.Bits = atoiPrefix(rest)
				}
				if h.TLS.Cipher == "" {
					h.TLS.Cipher = trimSpace(rest[j+1:])
				}
			}
		}
	}
	// Authentication.
	if m.has(mAuthSender) {
		h.Auth.Method = c[m.at(mAuthSender) : m.at(mAuthSender)+20]
		h.Auth.User = trimAngle(firstWord(trimSpace(c[m.at(mAuthSender)+21:])))
	} else if m.has(mAuthenticated) && h.Auth.Method == "" && !m.has(mNotAuthenticated) && !m.has(mUnauthenticated) {
		k := m.at(mAuthenticated)
		h.Auth.Method = c[k : k+13]
		rest := trimSpace(c[k+13:])
		if hasPrefixFoldFast(rest, "as ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[3:])))
		} else if hasPrefixFoldFast(rest, "user ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[5:])))
		} else if hasPrefixFoldFast(rest, "sender ") {
			h.Auth.User = trimAngle(firstWord(trimSpace(rest[7:])))
		}
	}
	if h.Auth.Method == "" {
		// qmail's SMTP AUTH patch (Yahoo's smtp.mail.yahoo.com in 2002):
		// "(user@192.0.2.1 with plain)".
		if u, method, ok := qmailAuth(c); ok {
			h.Auth.Method, h.Auth.User = method, u
		}
	}
	if m.has(mAuthColon) && h.Auth.Method == "" {
		rest := c[m.at(mAuthColon)+6:]
		h.Auth.Method = firstWord(rest)
		if sp := strings.IndexByte(rest, ' '); sp > 0 {
			u := firstWord(trimSpace(rest[sp+1:]))
			h.Auth.User = strings.TrimRight(u, ",")
		}
	}
	// Envelope sender: Exim "(envelope-from <x>)", sendmail "(envelope-from x)".
	if m.has(mEnvelopeFrom) && h.EnvelopeFrom == "" {
		h.EnvelopeFrom = trimAngle(firstWord(trimSpace(strings.TrimLeft(c[m.at(mEnvelopeFrom)+13:], " =:"))))
	} else if m.has(mEnvelopeSender) && h.EnvelopeFrom == "" {
		h.EnvelopeFrom = trimAngle(firstWord(trimSpace(strings.TrimLeft(c[m.at(mEnvelopeSender)+15:], " =:"))))
	}
	// Local submission: sendmail "(from user@localhost)", qmail
	// "(qmail 123 invoked by uid 500)", Postfix "(Postfix, from userid 0)".
	if where == clNone || where == clBy {
		switch {
		case hasPrefixFoldFast(c, "from ") && where == clNone && !m.has(mFromUserid):
			w := firstWord(c[5:])
			if at := strings.IndexByte(w, '@'); at > 0 {
				h.From.Ident = w[:at]
			} else {
				h.From.Ident = w
			}
		case m.has(mInvokedByUID):
			k := m.at(mInvokedByUID) + 11 // "uid N", a substring of the input
			h.From.Ident = c[k : k+4+len(firstWord(c[k+4:]))]
			h.Dialect = "qmail"
		case m.has(mInvokedFromNetwork), m.has(mInvokedByAlias), m.has(mInvokedForBounce):
			h.Dialect = "qmail"
		}
	}
	if m.has(mFromUserid) && h.From.Ident == "" {
		k := m.at(mFromUserid) + 5 // "userid N"
		h.From.Ident = c[k : k+7+len(firstWord(c[k+7:]))]
	}
	if m.has(mMayBeForged) && where == clFrom {
		h.From.MayBeForged = true
	}
	if where == clWith && h.By.Software == "" {
		if hasPrefixFoldFast(c, "Exim ") || hasPrefixFoldFast(c, "fetchmail") || hasPrefixFoldFast(c, "getmail") || hasPrefixFoldFast(c, "Smail") {
			h.By.Software = c
			p.swKnown, p.swDialect = true, d
		}
	}
}

// looseWord reads markers some MTAs write as bare words rather than in
// comments: Haraka's "envelope-from <a@b>", OpenSMTPD's "auth=yes
// user=bob". toks[i] is a word of at least five bytes.
func (p *parser) looseWord(toks []token, i int) {
	h := &p.hop
	w := toks[i].text
	switch lowerTab[w[0]] {
	case 'e':
		if ascii.EqualFold(w, "envelope-from") && i+1 < len(toks) && toks[i+1].kind == tokAngle && h.EnvelopeFrom == "" {
			h.EnvelopeFrom = toks[i+1].text
		}
	case 'a':
		if hasPrefixFoldFast(w, "auth=") && !ascii.EqualFold(w[5:], "no") && h.Auth.Method == "" {
			h.Auth.Method = w
		}
	case 'u':
		if hasPrefixFoldFast(w, "user=") && h.Auth.User == "" {
			h.Auth.User = w[5:]
		}
	}
}

func firstWord(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', ')', ';', '\r', '\n':
			return s[:i]
		}
	}
	return s
}

// valueAfter returns a key=value value: up to a space, comma or ')'.
func valueAfter(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', ',', ')', ';':
			return s[:i]
		}
	}
	return s
}

func atoiPrefix(s string) int {
	v := 0
	for i := 0; i < len(s) && i < 6 && isDigit(s[i]); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// bitsBefore reads "256/256" or "128" at the end of s (before " bits)").
func bitsBefore(s string) int {
	k := strings.LastIndexByte(s, '(')
	if k < 0 {
		return 0
	}
	return atoiPrefix(s[k+1:])
}

func trimAngle(s string) string {
	s = strings.TrimSuffix(s, ",")
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return strings.Trim(s, "<>")
}

// qmailAuthMethods are the SASL mechanisms qmail's SMTP AUTH patch names
// after "with" (RFC 4954's common ones).
var qmailAuthMethods = [...]string{"plain", "login", "cram-md5", "digest-md5"}

// qmailAuth reads qmail's authenticated-submission comment "user@address
// with method": the user and the method.
func qmailAuth(c string) (user, method string, ok bool) {
	sp := strings.IndexByte(c, ' ')
	if sp < 3 || !strings.HasPrefix(c[sp:], " with ") {
		return "", "", false
	}
	method = c[sp+6:]
	known := false
	for _, k := range qmailAuthMethods {
		if ascii.EqualFold(method, k) {
			known = true
			break
		}
	}
	at := strings.LastIndexByte(c[:sp], '@')
	if !known || at <= 0 {
		return "", "", false
	}
	if _, q := quad(c[at+1 : sp]); q != quadOK {
		return "", "", false
	}
	return c[:at], method, true
}
