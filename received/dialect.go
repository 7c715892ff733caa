package received

import "strings"

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
	case equalFold(w, "SMTP"), equalFold(w, "SMTPD"):
		return ProtocolSMTP
	case equalFold(w, "ESMTP"):
		return ProtocolESMTP
	case equalFold(w, "ESMTPS"), equalFold(w, "SMTPS"):
		return ProtocolESMTPS
	case equalFold(w, "ESMTPA"), equalFold(w, "ASMTP"):
		return ProtocolESMTPA
	case equalFold(w, "ESMTPSA"):
		return ProtocolESMTPSA
	case equalFold(w, "LMTP"):
		return ProtocolLMTP
	case equalFold(w, "LMTPS"):
		return ProtocolLMTPS
	case equalFold(w, "LMTPA"):
		return ProtocolLMTPA
	case equalFold(w, "LMTPSA"):
		return ProtocolLMTPSA
	case equalFold(w, "UTF8SMTP"), equalFold(w, "UTF8ESMTP"):
		return ProtocolUTF8SMTP
	case equalFold(w, "UTF8SMTPS"), equalFold(w, "UTF8ESMTPS"):
		return ProtocolUTF8SMTPS
	case equalFold(w, "UTF8SMTPA"), equalFold(w, "UTF8ESMTPA"):
		return ProtocolUTF8SMTPA
	case equalFold(w, "UTF8SMTPSA"), equalFold(w, "UTF8ESMTPSA"):
		return ProtocolUTF8SMTPSA
	case equalFold(w, "HTTP"), equalFold(w, "WebMail"):
		return ProtocolHTTP
	case equalFold(w, "HTTPS"):
		return ProtocolHTTPS
	case equalFold(w, "IMAP"), equalFold(w, "IMAP4"), equalFold(w, "IMAPS"):
		return ProtocolIMAP
	case equalFold(w, "POP3"), equalFold(w, "POP"), equalFold(w, "POP3S"), equalFold(w, "pop3-ssl"):
		return ProtocolPOP3
	case equalFold(w, "MAPI"):
		return ProtocolMAPI
	case equalFold(w, "local"), equalFold(w, "local-esmtp"), equalFold(w, "local-smtp"), equalFold(w, "local-bsmtp"), equalFold(w, "LOCAL"), equalFold(w, "stdin"):
		return ProtocolLocal
	case equalFold(w, "UUCP"), equalFold(w, "rmail"):
		return ProtocolUUCP
	case equalFold(w, "QMQP"):
		return ProtocolQMQP
	case equalFold(w, "Microsoft"):
		// "Microsoft SMTP Server" (Exchange) and "Microsoft SMTPSVC" (IIS)
		if containsFold(with, "SMTPSVC") {
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
	if h.Protocol == ProtocolESMTP && h.TLS.Version != "" && hasPrefixFold(h.With, "Microsoft SMTP Server") {
		h.Protocol = ProtocolESMTPS
	}
	// Mimecast: "with ESMTP with STARTTLS".
	if h.Protocol == ProtocolESMTP && containsFold(h.With, "STARTTLS") {
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
	if h.From.HELO != "" && p.heloBy && containsFold(p.s, "helo=") {
		return "exim"
	}
	return ""
}
