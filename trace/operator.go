package trace

import (
	"net/netip"
	"strings"

	"github.com/spamtrace/spamtrace/received"
)

// Same operator
//
// Two servers belong to the same operator when the one organisation runs
// both: their hand-offs are internal, their names for each other need not
// match what the outside world sees, and a trusted server of that operator
// vouches for the other. This file is the one model of that sameness; edges
// (graph.go), HELO checks (checks.go), the dynamic-host rules (dynamic.go)
// and the trust walk (trust.go) all ask it.
//
// A host's operator is, in order:
//
//  1. the family of operatorFamilies that names the host's domain (by
//     suffix, on label boundaries) or matches one of its patterns: mail of
//     these operators crosses several registered domains;
//  2. otherwise its registered domain (public suffix + 1, which
//     golang.org/x/net/publicsuffix computes from the ICANN and private
//     sections of the Public Suffix List); two registered domains with the
//     same label left of the suffix (mindspring.com, mindspring.net) are
//     one organisation.
//
// Besides names there is address-level sameness: an operator's internal
// hop may name its server only by an address literal ("by 2002:a05:6870::"
// in Google's chains, "by 10.36.56.134") or by a bare internal name ("by
// vkex70"); internalByName says when a by name is of that kind.

// operatorFamily is an operator whose mail servers are named in several
// registered domains.
type operatorFamily struct {
	name string
	// domains are the domains whose hosts are the operator's (a host
	// matches its domain or any name below it).
	domains []string
	// patterns are names the operator shares with others under one
	// public suffix, written prefix + "*" + suffix (Amazon SES's
	// regional hosts sit under amazonaws.com, where EC2 customers'
	// hosts sit too).
	patterns []namePattern
	// gateway marks filtering gateways and forwarding services, whose
	// whole job is to receive mail for a customer and hand it on to the
	// customer's own servers.
	gateway bool
	// residential marks operators that are also access providers: their
	// domains hold end-user hosts (AOL's ipt.aol.com dial-ups) besides
	// mail servers.
	residential bool
	// sendOnly are the names of the operator's servers that only hand
	// mail out of its network: they appear as the client of a receiving
	// server, never as the server that wrote a Received field. Each is a
	// suffix of labels ("outbound.protection.outlook.com"), "*" standing
	// for any one label, below which a host name has at least one label.
	sendOnly []string
	// source says where the names come from.
	source string
}

type namePattern struct{ prefix, suffix string }

// operatorFamilies is the table of multi-domain operators. Each source says
// "doc:" for an operator's page that was checked for the names (by title
// and address) and "seen:" for the names its servers write in Received
// fields of real mail (the project's modern corpus of 2015-2026); a source
// without "doc:" rests on the operator's public documentation by name only,
// not re-checked here. Keep one family per operator; add a domain only with
// a source.
var operatorFamilies = []operatorFamily{
	{name: "Google", domains: []string{"google.com", "gmail.com", "googlemail.com", "1e100.net", "googlegroups.com"},
		source: "doc: Google Workspace Admin Help, IP ranges of Google's mail servers, support.google.com/a/answer/60764 (_spf.google.com) and support.google.com/a/answer/27642; seen: mail-*.google.com, mx.google.com, gmr-mx.google.com, *.1e100.net reverse DNS, Google Groups' by mail-*.google.com above internal \"by 2002:...\" hops"},
	{name: "Microsoft", domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "microsoft.com", "office365.com", "exchangelabs.com", "outlook.office.com", "office.com"},
		sendOnly: []string{"outbound.protection.outlook.com"},
		source:   "doc: Microsoft Learn, Microsoft 365 URLs and IP address ranges (learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges: *.mail.protection.outlook.com) and the anti-spam message headers page (X-Forefront-Antispam-Report); seen: *.outbound.protection.outlook.com, *.prod.outlook.com, *.prod.exchangelabs.com, *.hotmail.com; send-only: *.outbound.protection.outlook.com is the client of 211 receiving hops in the modern corpus and writes none"},
	{name: "Amazon SES", domains: []string{"amazonses.com"}, patterns: []namePattern{{"email-smtp.", ".amazonaws.com"}, {"inbound-smtp.", ".amazonaws.com"}, {"feedback-smtp.", ".amazonses.com"}},
		sendOnly: []string{"smtp-out.amazonses.com", "smtp-out.*.amazonses.com"},
		source:   "doc: AWS General Reference, Amazon Simple Email Service endpoints and quotas, docs.aws.amazon.com/general/latest/gr/ses.html (email-smtp.<region>.amazonaws.com, inbound-smtp.<region>.amazonaws.com); seen: *.smtp-out.amazonses.com, *.smtp-out.<region>.amazonses.com; send-only: SES takes mail in at email-smtp.<region>.amazonaws.com or its API and delivers from *.smtp-out hosts, the client of 29 receiving hops in the modern corpus, writer of none"},
	{name: "Mailgun", domains: []string{"mailgun.net", "mailgun.org", "mailgun.com", "mailgun.info", "mailgun.us", "postgun.com"},
		source: "Mailgun documentation (sending hosts m*.mailgun.net); its relays write mail*.static.mailgun.info, z*.mailgun.us, mxa.mailgun.org and *.postgun.com in one chain"},
	{name: "SendGrid", domains: []string{"sendgrid.net", "sendgrid.com"},
		source: "Twilio SendGrid documentation (sending hosts *.sendgrid.net)"},
	{name: "SparkPost", domains: []string{"sparkpostmail.com", "sparkpost.com"},
		source: "SparkPost documentation (sending hosts *.sparkpostmail.com)"},
	{name: "Mailchimp", domains: []string{"mcsv.net", "rsgsv.net", "mcdlv.net", "mandrillapp.com", "mailchimp.com"},
		source: "Mailchimp/Mandrill documentation (sending hosts *.mcsv.net, *.rsgsv.net, *.mandrillapp.com)"},
	{name: "Proofpoint", domains: []string{"pphosted.com", "ppops.net", "proofpoint.com", "ppe-hosted.com"}, gateway: true,
		source: "Proofpoint documentation (customer MX mx0a-<id>.pphosted.com; Essentials *.ppe-hosted.com); its filter hands on \"from pps.filterd (m<n>.ppops.net [127.0.0.1])\""},
	{name: "Mimecast", domains: []string{"mimecast.com", "mimecast-offshore.com", "mimecast.co.za"}, gateway: true,
		source: "doc: Mimecast support, Mimecast Data Centers and URLs (the regional gateway ranges and hosts); seen: us-smtp-inbound-delivery-*.mimecast.com, us-smtp-delivery-*.mimecast.com, relay.mimecast.com"},
	{name: "Broadcom Email Security.cloud", domains: []string{"messagelabs.com", "symcld.net", "symanteccloud.com"}, gateway: true,
		source: "Broadcom Email Security.cloud documentation (mail*.messagelabs.com); its servers record internal names under symcld.net"},
	{name: "Cisco Secure Email", domains: []string{"iphmx.com", "ironport.com"}, gateway: true,
		source: "Cisco Secure Email Cloud Gateway documentation (hosted MX *.iphmx.com)"},
	{name: "Barracuda", domains: []string{"barracudanetworks.com", "cudamail.com", "barracuda.com"}, gateway: true,
		source: "Barracuda Email Security Service documentation (*.ess.barracudanetworks.com, *.cudamail.com)"},
	{name: "Forcepoint", domains: []string{"mailcontrol.com", "forcepoint.com"}, gateway: true,
		source: "Forcepoint Email Security Cloud documentation (cluster-*.mailcontrol.com)"},
	{name: "Trend Micro", domains: []string{"trendmicro.com", "trendmicro.eu", "tmes.trendmicro.com"}, gateway: true,
		source: "Trend Micro Email Security documentation (*.tmes.trendmicro.com, *.tmes.trendmicro.eu)"},
	{name: "Yahoo", domains: []string{"yahoo.com", "yahoo.co.uk", "yahoodns.net", "yahoo.net", "rocketmail.com", "ymail.com"},
		source: "Yahoo Sender Hub (sending hosts *.mail.yahoo.com, MX *.yahoodns.net); its servers also carry AOL mail today, under these same names (mx-aol.mail.gm0.yahoodns.net); aol.com itself stays a family of its own: in older mail its hosts were AOL's own (ipt.aol.com dial-ups)"},
	{name: "AOL", domains: []string{"aol.com", "aol.net", "aim.com"}, residential: true,
		source: "AOL postmaster pages of 2002-2016 (mailin-*.mx.aol.com, *.ipt.aol.com dial-up)"},
	{name: "Apple", domains: []string{"apple.com", "icloud.com", "me.com", "mac.com"},
		source: "Apple Support, \"iCloud Mail server settings\" and postmaster pages (mx*.mail.icloud.com, *.me.com)"},
	{name: "Zoho", domains: []string{"zoho.com", "zohomail.com", "zoho.eu", "zohomail.eu", "zoho.in", "zohomail.in", "zohocorp.com"},
		source: "Zoho Mail Help, \"Zoho Mail server details\" (mx.zoho.com, smtp.zoho.eu, sender.zohomail.com)"},
	{name: "Yandex", domains: []string{"yandex.ru", "yandex.net", "yandex.com", "yandex-team.ru", "ya.ru"},
		source: "Yandex Mail Help (mx.yandex.ru; servers write *.mail.yandex.net)"},
	{name: "Mail.ru", domains: []string{"mail.ru", "list.ru", "bk.ru", "inbox.ru", "internet.ru"},
		source: "Mail.ru postmaster help (*.mail.ru sending hosts for list.ru, bk.ru, inbox.ru)"},
	{name: "Alibaba", domains: []string{"aliyun.com", "aliyun-inc.com", "alibaba-inc.com", "alibaba.com", "alimail.com", "alibabacloud.com"},
		source: "Alibaba Cloud Mail documentation (mx*.qiye.aliyun.com, smtp.aliyun.com); its relays record internal names under aliyun-inc.com"},
	{name: "Tencent", domains: []string{"qq.com", "foxmail.com", "tencent.com", "qcloudmail.com"},
		source: "Tencent Exmail help (mx*.qq.com, smtp.exmail.qq.com, bizesmtp.qq.com)"},
	{name: "NetEase", domains: []string{"163.com", "126.com", "yeah.net", "netease.com", "188.com", "126.net", "163.net"},
		source: "NetEase mail help (smtp.163.com, smtp.126.com, qiye.163.com); hosts m*.mail.126.com, *.mail.163.com"},
	{name: "Fastmail", domains: []string{"messagingengine.com", "fastmail.com", "fastmail.fm"},
		source: "Fastmail Help, \"Server names and ports\" (in*-smtp.messagingengine.com, smtp.fastmail.com)"},
	{name: "Proton", domains: []string{"protonmail.ch", "protonmail.com", "proton.me", "pm.me", "proton.ch"},
		source: "Proton Support, custom domain setup (mail.protonmail.ch, mailsec.protonmail.ch)"},
	{name: "United Internet", domains: []string{"gmx.net", "gmx.de", "gmx.com", "web.de", "mail.com", "kundenserver.de"},
		source: "GMX and WEB.DE help pages (mout.gmx.net, mout.web.de, mx*.kundenserver.de for IONOS)"},
}

// familyByDomain maps each family domain to its index in operatorFamilies.
var familyByDomain = func() map[string]int {
	m := make(map[string]int)
	for i, f := range operatorFamilies {
		for _, d := range f.domains {
			m[d] = i
		}
	}
	return m
}()

// familyOf returns the index of host's operator family, or -1, from the
// registered-domain cache.
func familyOf(host string) int {
	if e := domainInfo(host); e != nil {
		return int(e.family)
	}
	return -1
}

// computeFamily returns the index of a normalised host's operator family,
// or -1.
func computeFamily(host string) int {
	if host == "" || host[0] == '[' {
		return -1
	}
	// Every suffix of host on a label boundary, longest first, without
	// allocating.
	for s := host; ; {
		if i, ok := familyByDomain[s]; ok {
			return i
		}
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			break
		}
		s = s[dot+1:]
		if strings.IndexByte(s, '.') < 0 {
			break // a bare top-level domain is no family's
		}
	}
	for i := range operatorFamilies {
		for _, p := range operatorFamilies[i].patterns {
			if len(host) > len(p.prefix)+len(p.suffix) && strings.HasPrefix(host, p.prefix) && strings.HasSuffix(host, p.suffix) {
				return i
			}
		}
	}
	return -1
}

// operatorKey names host's operator: "family:NAME" for a family, else the
// registered domain; "" when host has neither (an address literal, a bare
// name).
func operatorKey(host string) string {
	host = normName(host)
	if i := familyOf(host); i >= 0 {
		return operatorFamilies[i].name
	}
	return registeredDomain(host)
}

// sameOperator reports whether hosts a and b are run by one operator.
func sameOperator(a, b string) bool {
	return sameOperatorInfo(domainInfo(a), domainInfo(b))
}

// sameOperatorInfo is sameOperator on two hosts' cache entries (nil for a
// name without a dot or an address literal).
func sameOperatorInfo(ea, eb *rdEntry) bool {
	if ea == nil || eb == nil {
		return false
	}
	if ea.family >= 0 || eb.family >= 0 {
		return ea.family == eb.family
	}
	da, db := ea.domain, eb.domain
	if da == "" || db == "" {
		return false
	}
	// The label rule leaves out RFC 2606's example domains: anonymised
	// mail and documentation write example.com and example.net for
	// anybody.
	return da == db || orgLabel(da) == orgLabel(db) && orgLabel(da) != "example"
}

// orgLabel returns the label left of a registered domain's public suffix
// ("example" for example.co.uk), which names one organisation across its
// domains (mindspring.com and mindspring.net).
func orgLabel(d string) string {
	if i := strings.IndexByte(d, '.'); i > 0 {
		return d[:i]
	}
	return d
}

// operatorName says whose host is, for a person: the family's name or the
// registered domain.
func operatorName(host string) string { return operatorKey(host) }

// sendOnlyServer reports whether a host (its normalised name and its
// registered-domain entry) is one of an operator's send-only servers
// (operatorFamily.sendOnly), and whose.
func sendOnlyServer(host string, e *rdEntry) (string, bool) {
	if e == nil || e.family < 0 {
		return "", false
	}
	f := &operatorFamilies[e.family]
	for _, p := range f.sendOnly {
		if labelSuffix(host, p) {
			return f.name, true
		}
	}
	return "", false
}

// labelSuffix reports whether a normalised (lower-case) host ends in the
// labels of pattern, "*" matching any one label, with at least one label
// of its own before them.
func labelSuffix(host, pattern string) bool {
	for pattern != "" {
		var pl string
		if i := strings.LastIndexByte(pattern, '.'); i >= 0 {
			pattern, pl = pattern[:i], pattern[i+1:]
		} else {
			pattern, pl = "", pattern
		}
		i := strings.LastIndexByte(host, '.')
		if i < 0 {
			return false // the pattern's labels, and none of host's own
		}
		hl := host[i+1:]
		host = host[:i]
		if pl != "*" && hl != pl {
			return false
		}
	}
	return host != ""
}

// isGateway reports whether host belongs to a filtering gateway or
// forwarding service of the table.
func isGateway(host string) bool {
	i := familyOf(normName(host))
	return i >= 0 && operatorFamilies[i].gateway
}

// internalByName reports whether a by name is one only an operator's
// internal hop writes: an address literal (with or without brackets) or a
// bare name without a registered domain.
func internalByName(by string) bool {
	by = normName(stripBrackets(by))
	if by == "" {
		return false
	}
	// Only a name that starts like an address can be one ("0x..." and
	// dotted-decimal forms start with a digit, IPv6 has a colon).
	if c := by[0]; c >= '0' && c <= '9' || strings.IndexByte(by, ':') >= 0 {
		if _, form := received.ParseIPLiteral(strings.TrimPrefix(strings.TrimPrefix(by, "ipv6:"), "IPv6:")); form != received.IPFormNone {
			return true
		}
	}
	if strings.ContainsAny(by, " /@") {
		return false
	}
	if strings.IndexByte(by, '.') < 0 {
		return true
	}
	e := domainInfo(by)
	return e != nil && e.unlisted
}

// internalAddr reports whether a is an address only an operator's own
// network uses: private, shared, loopback, link-local or unique local.
func internalAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || isInternal(a)
}
