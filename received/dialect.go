package received

import (
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// classifyProtocol maps a with clause to a Protocol (RFC 3848 and the IANA
// "Mail Transmission Types" registry, plus what MTAs write besides).
func classifyProtocol(with string) Protocol {
	pr, _ := classifyWith(with)
	return pr
}

// classifyWith is classifyProtocol also reporting whether with is nothing
// but one of the protocol names (then it holds no dialect marker).
func classifyWith(with string) (Protocol, bool) {
	if with == "" {
		return ProtocolUnknown, false
	}
	w := firstWord(with)
	for k := 0; k < len(w); k++ {
		if w[k] == '(' || w[k] == ',' {
			if k > 0 {
				w = w[:k]
			}
			break
		}
	}
	// The word lower-cased, then one switch: the longest name is 11 bytes.
	var buf [11]byte
	if len(w) > len(buf) {
		return ProtocolUnknown, false
	}
	whole := len(w) == len(with)
	for k := 0; k < len(w); k++ {
		buf[k] = lowerTab[w[k]]
	}
	switch string(buf[:len(w)]) {
	case "smtp", "smtpd":
		return ProtocolSMTP, whole
	case "esmtp":
		return ProtocolESMTP, whole
	case "esmtps", "smtps":
		return ProtocolESMTPS, whole
	case "esmtpa", "asmtp":
		return ProtocolESMTPA, whole
	case "esmtpsa":
		return ProtocolESMTPSA, whole
	case "lmtp":
		return ProtocolLMTP, whole
	case "lmtps":
		return ProtocolLMTPS, whole
	case "lmtpa":
		return ProtocolLMTPA, whole
	case "lmtpsa":
		return ProtocolLMTPSA, whole
	case "utf8smtp", "utf8esmtp":
		return ProtocolUTF8SMTP, whole
	case "utf8smtps", "utf8esmtps":
		return ProtocolUTF8SMTPS, whole
	case "utf8smtpa", "utf8esmtpa":
		return ProtocolUTF8SMTPA, whole
	case "utf8smtpsa", "utf8esmtpsa":
		return ProtocolUTF8SMTPSA, whole
	case "http", "webmail":
		return ProtocolHTTP, whole
	case "https":
		return ProtocolHTTPS, whole
	case "imap", "imap4", "imaps":
		return ProtocolIMAP, whole
	case "pop3", "pop", "pop3s", "pop3-ssl":
		return ProtocolPOP3, whole
	case "mapi":
		return ProtocolMAPI, whole
	case "local", "local-esmtp", "local-smtp", "local-bsmtp", "stdin":
		return ProtocolLocal, whole
	case "uucp", "rmail":
		return ProtocolUUCP, whole
	case "qmqp":
		return ProtocolQMQP, whole
	case "microsoft":
		// "Microsoft SMTP Server" (Exchange) and "Microsoft SMTPSVC" (IIS)
		if ascii.ContainsFold(with, "SMTPSVC") {
			return ProtocolSMTP, false
		}
		return ProtocolESMTP, false
	}
	return ProtocolUnknown, false
}

// dialectMarkers map text found in the software comment, the with clause
// or any comment to an MTA family. Order matters: the first match wins.
var dialectMarkers = [...]struct{ marker, dialect string }{
	{"Postfix", "postfix"},
	{"Exim", "exim"},
	{"qmail", "qmail"},
	{"Microsoft SMTP Server", "exchange"},
	{"Microsoft SMTPSVC", "smtpsvc"},
	{"Microsoft Exchange", "exchange"},
	{"fetchmail", "fetchmail"},
	{"getmail", "getmail"},
	{"amavis", "amavis"},
	{"Zimbra", "zimbra"},
	{"Lotus Domino", "domino"},
	{"Domino", "domino"},
	{"CommuniGate", "communigate"},
	{"Stalker", "communigate"},
	{"MDaemon", "mdaemon"},
	{"IMail", "imail"},
	{"Cyrus", "cyrus"},
	{"OpenSMTPD", "opensmtpd"},
	{"Haraka", "haraka"},
	{"Courier", "courier"},
	{"Kerio", "kerio"},
	{"SmarterMail", "smartermail"},
	{"GroupWise", "groupwise"},
	{"Mimecast", "mimecast"},
	{"Proofpoint", "proofpoint"},
	{"Barracuda", "barracuda"},
	{"Sendmail", "sendmail"},
	{"Smail", "smail"},
	{"ZMailer", "zmailer"},
	{"Sun Java", "sun-messaging"},
	{"Oracle Communications", "sun-messaging"},
	{"MailEnable", "mailenable"},
	{"hMailServer", "hmailserver"},
	{"Merak", "icewarp"},
	{"IceWarp", "icewarp"},
	{"ArGoSoft", "argosoft"},
	{"NTMail", "ntmail"},
	{"Mirapoint", "mirapoint"},
	{"InterScan", "interscan"},
	{"Momentum", "sparkpost"},
	{"SparkPost", "sparkpost"},
	{"Halon", "halon"},
	{"ecelerity", "sparkpost"},
	{"SMTPD32", "imail"},
	{"Spam & Virus Firewall", "barracuda"},
	{"Spam Firewall", "barracuda"},
	{"Internet Mail Service", "exchange"},
	{"SquirrelMail", "squirrelmail"},
	{"Netscape Messaging Server", "netscape"},
	{"iPlanet Messaging Server", "sun-messaging"},
	{"Vircom", "vircom"},
	{"Tumbleweed", "tumbleweed"},
}

// minMarker returns the smallest index of a dialect marker found in s at
// the start of a word (ignoring ASCII case), or best when none with a
// smaller index is found.
func minMarker(s string, best int) int {
	if d := findDialect(s); d < best {
		return d
	}
	return best
}

func (p *parser) finish() {
	h := &p.hop
	f := &h.From
	// Protocol-level authentication.
	if h.Auth.Method == "" {
		switch h.Protocol {
		case ProtocolESMTPA, ProtocolESMTPSA, ProtocolLMTPA, ProtocolLMTPSA, ProtocolUTF8SMTPA, ProtocolUTF8SMTPSA:
			h.Auth.Method = string(h.Protocol)
		}
	}
	// Exchange writes "with Microsoft SMTP Server (version=TLS1_2, ...)":
	// that is ESMTP over TLS.
	if h.Protocol == ProtocolESMTP && h.TLS.Version != "" && ascii.HasPrefixFold(h.With, "Microsoft SMTP Server") {
		h.Protocol = ProtocolESMTPS
	}
	// Mimecast: "with ESMTP with STARTTLS".
	if h.Protocol == ProtocolESMTP && ascii.ContainsFold(h.With, "STARTTLS") {
		h.Protocol = ProtocolESMTPS
	}
	// A local submission names the user after "from": Exim "from root by
	// host with local", Courier "with local".
	if h.Protocol == ProtocolLocal && !p.ipSet && !p.heloBy && f.HELO != "" && f.Ident == "" && strings.IndexByte(f.HELO, '.') < 0 && f.HELO[0] != '[' {
		f.Ident, f.HELO = f.HELO, ""
	}
	if h.Dialect == "" {
		h.Dialect = p.detectDialect()
	}
	// Exim writes the verified host name after "from" and "helo=" only when
	// the HELO differs: "from host ([ip])" means both are host.
	if h.Dialect == "exim" && !p.heloBy && f.HELO != "" && f.RDNS == "" && f.HELO[0] != '[' {
		if _, form := ParseIPLiteral(f.HELO); form == IPFormNone {
			f.RDNS = trimDot(f.HELO)
		}
	}
	// qmail "from host (ip)" without "(HELO x)": host is the reverse DNS
	// name and the HELO matched it.
	if h.Dialect == "qmail" && !p.heloBy && f.HELO != "" && f.RDNS == "" && !f.RDNSUnknown && f.HELO[0] != '[' {
		if _, form := ParseIPLiteral(f.HELO); form == IPFormNone {
			f.RDNS = trimDot(f.HELO)
		}
	}
	// CommuniGate "from name ([192.0.2.1] verified)": the name resolves to
	// the address.
	if p.verified && f.RDNS == "" && f.HELO != "" && f.HELO[0] != '[' {
		f.RDNS = trimDot(f.HELO)
	}
	if f.IPText == "" && f.IP.IsValid() {
		f.IPText = f.IP.String()
	}
}

// Host name parts that name a service wherever they stand in the by host,
// as bits of hostParts' result.
const (
	hpHotmail   = 1 << iota // hotmail.msn.com
	hpYahoo                 // .yahoo.com
	hpYahooDNS              // .yahoodns.net
	hpMailgun               // mailgun
	hpPPHosted              // pphosted.com
	hpPPOps                 // ppops.net
	hpMimecast              // mimecast
	hpBarracuda             // barracuda
	hpVger                  // vger.kernel.org
)

// hostPartTexts are the hp parts' texts, as data.
var hostPartTexts = []struct {
	text string
	bit  uint16
}{
	{"hotmail.msn.com", hpHotmail}, {".yahoo.com", hpYahoo}, {".yahoodns.net", hpYahooDNS},
	{"mailgun", hpMailgun}, {"pphosted.com", hpPPHosted}, {"ppops.net", hpPPOps},
	{"mimecast", hpMimecast}, {"barracuda", hpBarracuda}, {"vger.kernel.org", hpVger},
}

// hostPartsByFirst lists the hp parts by their first byte.
var hostPartsByFirst = func() (t [256][]int) {
	for k, e := range hostPartTexts {
		t[e.text[0]] = append(t[e.text[0]], k)
	}
	return t
}()

// hostParts reports which of the hp parts by contains, in one pass.
func hostParts(by string) (m uint16) {
	for i := 0; i < len(by); i++ {
		for _, k := range hostPartsByFirst[by[i]] {
			if e := &hostPartTexts[k]; strings.HasPrefix(by[i:], e.text) {
				m |= e.bit
			}
		}
	}
	return m
}

// serviceDialect names the services known by their receiving hosts,
// whatever software they run (Proofpoint runs sendmail, for one); "" for
// none. The first rule that fits wins.
func serviceDialect(by, sw, helo string, proto Protocol) string {
	hp := hostParts(by)
	// The suffixes below but sendgrid.net end in "com".
	com := strings.HasSuffix(by, "com")
	switch {
	case proto == ProtocolMAPI:
		return "exchange"
	case com && strings.HasSuffix(by, ".gmail.com"):
		return "gmail"
	case com && strings.HasSuffix(by, ".google.com") || strings.HasPrefix(by, "2002:") && helo == "":
		return "gmail"
	case com && (strings.HasSuffix(by, ".outlook.com") || strings.HasSuffix(by, ".outlook.office365.com") || strings.HasSuffix(by, ".exchangelabs.com")):
		return "exchange"
	case hp&hpHotmail != 0 || com && strings.HasSuffix(by, ".hotmail.com"):
		return "hotmail"
	case hp&(hpYahoo|hpYahooDNS) != 0:
		return "yahoo"
	case com && (strings.HasSuffix(by, "amazonses.com") || strings.HasPrefix(by, "email-smtp.") && strings.HasSuffix(by, ".amazonaws.com") ||
		strings.HasPrefix(by, "inbound-smtp.") && strings.HasSuffix(by, ".amazonaws.com")):
		return "ses"
	case strings.HasSuffix(by, "sendgrid.net") || sw == "SG":
		return "sendgrid"
	case hp&hpMailgun != 0:
		return "mailgun"
	case hp&(hpPPHosted|hpPPOps) != 0:
		return "proofpoint"
	case hp&hpMimecast != 0:
		return "mimecast"
	case hp&hpBarracuda != 0:
		return "barracuda"
	case hp&hpVger != 0:
		return "zmailer"
	}
	return ""
}

func (p *parser) detectDialect() string {
	h := &p.hop
	best := len(dialectMarkers)
	if p.swKnown {
		best = min(best, p.swDialect)
	} else {
		best = minMarker(h.By.Software, best)
	}
	if !p.withPlain {
		best = minMarker(h.With, best)
	}
	if best < len(dialectMarkers) {
		return dialectMarkers[best].dialect
	}
	if p.comDialect > 0 {
		return dialectMarkers[p.comDialect-1].dialect
	}
	sw := h.By.Software
	if d := serviceDialect(h.By.Host, sw, h.From.HELO, h.Protocol); d != "" {
		return d
	}
	// sendmail's version comment: "8.12.5/8.12.5", "8.9.3", "8.14.4/Submit"
	if len(sw) >= 3 && sw[0] == '8' && sw[1] == '.' && isDigit(sw[2]) {
		return "sendmail"
	}
	if strings.Contains(sw, "/8.") && isDigit(sw[0]) {
		return "sendmail"
	}
	// qmail-smtpd: "from name (HELO helo) (192.0.2.1)", the address in
	// parentheses without brackets.
	if p.bareIPComment {
		return "qmail"
	}
	for _, c := range h.Comments {
		if strings.Contains(c, "rhost-flags") {
			return "zmailer"
		}
	}
	if h.From.HELO != "" && p.heloBy && ascii.ContainsFold(p.s, "helo=") {
		return "exim"
	}
	return ""
}
