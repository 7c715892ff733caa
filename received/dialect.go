package received

import (
	"strings"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// classifyProtocol maps a with clause to a Protocol (RFC 3848 and the IANA
// "Mail Transmission Types" registry, plus what MTAs write besides).
func classifyProtocol(with string) Protocol {
	if with == "" {
		return ProtocolUnknown
	}
	w := firstWord(with)
	if k := strings.IndexAny(w, "(,"); k > 0 {
		w = w[:k]
	}
	switch {
	case ascii.EqualFold(w, "SMTP"), ascii.EqualFold(w, "SMTPD"):
		return ProtocolSMTP
	case ascii.EqualFold(w, "ESMTP"):
		return ProtocolESMTP
	case ascii.EqualFold(w, "ESMTPS"), ascii.EqualFold(w, "SMTPS"):
		return ProtocolESMTPS
	case ascii.EqualFold(w, "ESMTPA"), ascii.EqualFold(w, "ASMTP"):
		return ProtocolESMTPA
	case ascii.EqualFold(w, "ESMTPSA"):
		return ProtocolESMTPSA
	case ascii.EqualFold(w, "LMTP"):
		return ProtocolLMTP
	case ascii.EqualFold(w, "LMTPS"):
		return ProtocolLMTPS
	case ascii.EqualFold(w, "LMTPA"):
		return ProtocolLMTPA
	case ascii.EqualFold(w, "LMTPSA"):
		return ProtocolLMTPSA
	case ascii.EqualFold(w, "UTF8SMTP"), ascii.EqualFold(w, "UTF8ESMTP"):
		return ProtocolUTF8SMTP
	case ascii.EqualFold(w, "UTF8SMTPS"), ascii.EqualFold(w, "UTF8ESMTPS"):
		return ProtocolUTF8SMTPS
	case ascii.EqualFold(w, "UTF8SMTPA"), ascii.EqualFold(w, "UTF8ESMTPA"):
		return ProtocolUTF8SMTPA
	case ascii.EqualFold(w, "UTF8SMTPSA"), ascii.EqualFold(w, "UTF8ESMTPSA"):
		return ProtocolUTF8SMTPSA
	case ascii.EqualFold(w, "HTTP"), ascii.EqualFold(w, "WebMail"):
		return ProtocolHTTP
	case ascii.EqualFold(w, "HTTPS"):
		return ProtocolHTTPS
	case ascii.EqualFold(w, "IMAP"), ascii.EqualFold(w, "IMAP4"), ascii.EqualFold(w, "IMAPS"):
		return ProtocolIMAP
	case ascii.EqualFold(w, "POP3"), ascii.EqualFold(w, "POP"), ascii.EqualFold(w, "POP3S"), ascii.EqualFold(w, "pop3-ssl"):
		return ProtocolPOP3
	case ascii.EqualFold(w, "MAPI"):
		return ProtocolMAPI
	case ascii.EqualFold(w, "local"), ascii.EqualFold(w, "local-esmtp"), ascii.EqualFold(w, "local-smtp"), ascii.EqualFold(w, "local-bsmtp"), ascii.EqualFold(w, "LOCAL"), ascii.EqualFold(w, "stdin"):
		return ProtocolLocal
	case ascii.EqualFold(w, "UUCP"), ascii.EqualFold(w, "rmail"):
		return ProtocolUUCP
	case ascii.EqualFold(w, "QMQP"):
		return ProtocolQMQP
	case ascii.EqualFold(w, "Microsoft"):
		// "Microsoft SMTP Server" (Exchange) and "Microsoft SMTPSVC" (IIS)
		if ascii.ContainsFold(with, "SMTPSVC") {
			return ProtocolSMTP
		}
		return ProtocolESMTP
	}
	return ProtocolUnknown
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
	var m markerPos
	if d := findMarkers(s, &m); d < best {
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

func (p *parser) detectDialect() string {
	h := &p.hop
	best := len(dialectMarkers)
	best = minMarker(h.By.Software, best)
	best = minMarker(h.With, best)
	if best < len(dialectMarkers) {
		return dialectMarkers[best].dialect
	}
	if p.comDialect > 0 {
		return dialectMarkers[p.comDialect-1].dialect
	}
	sw := h.By.Software
	by := h.By.Host
	// Services are known by their receiving hosts, whatever software they
	// run (Proofpoint runs sendmail, for one).
	switch {
	case h.Protocol == ProtocolMAPI:
		return "exchange"
	case strings.HasSuffix(by, ".gmail.com"):
		return "gmail"
	case strings.HasSuffix(by, ".google.com") || strings.HasPrefix(by, "2002:") && h.From.HELO == "":
		return "gmail"
	case strings.HasSuffix(by, ".outlook.com") || strings.HasSuffix(by, ".outlook.office365.com") || strings.HasSuffix(by, ".exchangelabs.com"):
		return "exchange"
	case strings.Contains(by, "hotmail.msn.com") || strings.HasSuffix(by, ".hotmail.com"):
		return "hotmail"
	case strings.Contains(by, ".yahoo.com") || strings.Contains(by, ".yahoodns.net"):
		return "yahoo"
	case strings.HasSuffix(by, "amazonses.com") || strings.HasPrefix(by, "email-smtp.") && strings.HasSuffix(by, ".amazonaws.com") ||
		strings.HasPrefix(by, "inbound-smtp.") && strings.HasSuffix(by, ".amazonaws.com"):
		return "ses"
	case strings.HasSuffix(by, "sendgrid.net") || sw == "SG":
		return "sendgrid"
	case strings.HasSuffix(by, ".mailgun.net") || strings.Contains(by, "mailgun"):
		return "mailgun"
	case strings.Contains(by, "pphosted.com") || strings.Contains(by, "ppops.net"):
		return "proofpoint"
	case strings.Contains(by, "mimecast"):
		return "mimecast"
	case strings.Contains(by, "barracuda"):
		return "barracuda"
	case strings.Contains(by, "vger.kernel.org"):
		return "zmailer"
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
