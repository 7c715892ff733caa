package auth

import (
	"strconv"
	"strings"
)

// The vendor tables below decode spam verdicts to meanings. Sources:
//
//   - Microsoft: "Anti-spam message headers in Microsoft 365"
//     (https://learn.microsoft.com/defender-office-365/message-headers-eop-mdo)
//     for X-Forefront-Antispam-Report (CIP, CTRY, LANG, SCL, SFV, IPV, H,
//     PTR, CAT, SFTY, DIR) and X-Microsoft-Antispam (BCL); "Spam confidence
//     level (SCL)" and "Bulk complaint level (BCL)" pages of the same
//     documentation for the number ranges.
//   - SpamAssassin: the spamassassin(1) and Mail::SpamAssassin::Conf
//     documentation (add_header, the X-Spam-Status "Yes/No, score=
//     required=" layout, X-Spam-Flag set to YES on spam).
//   - rspamd: its milter headers documentation (X-Spamd-Result: "default:
//     True/False [score / threshold]; SYMBOL(score)[options]...").

// sclMeaning decodes a spam confidence level.
func sclMeaning(v string) string {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case err != nil:
		return "unknown"
	case n == -1:
		return "not spam: filtering skipped (safe sender, allow rule or internal)"
	case n >= 0 && n <= 1:
		return "not spam"
	case n >= 2 && n <= 4:
		return "not spam (reserved level)"
	case n >= 5 && n <= 6:
		return "spam"
	case n >= 7 && n <= 9:
		return "high confidence spam"
	}
	return "unknown"
}

// bclMeaning decodes a bulk complaint level.
func bclMeaning(v string) string {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case err != nil:
		return "unknown"
	case n == 0:
		return "not from a bulk sender"
	case n >= 1 && n <= 3:
		return "bulk sender with few complaints"
	case n >= 4 && n <= 7:
		return "bulk sender with a mixed number of complaints"
	case n >= 8 && n <= 9:
		return "bulk sender with many complaints"
	}
	return "unknown"
}

var sfvMeanings = map[string]string{
	"BLK":  "skipped filtering and blocked: sender on a blocked senders list",
	"NSPM": "not spam",
	"SFE":  "skipped filtering and allowed: sender on a safe senders list",
	"SKA":  "skipped filtering: sender on an allowed list of the anti-spam policy",
	"SKB":  "marked spam: sender on a blocked list of the anti-spam policy",
	"SKI":  "skipped filtering: intra-organisation message",
	"SKN":  "marked not spam before filtering (e.g. a mail flow rule)",
	"SKQ":  "released from quarantine",
	"SKS":  "marked spam before filtering (e.g. a mail flow rule)",
	"SPM":  "spam",
}

var catMeanings = map[string]string{
	"AMP":    "anti-malware",
	"BIMP":   "brand impersonation",
	"BULK":   "bulk",
	"DIMP":   "domain impersonation",
	"FTBP":   "anti-malware common attachments filter",
	"GIMP":   "mailbox intelligence impersonation",
	"HPHSH":  "high confidence phishing",
	"HPHISH": "high confidence phishing",
	"HSPM":   "high confidence spam",
	"INTOS":  "intra-organisation phishing",
	"MALW":   "malware",
	"NONE":   "no protection policy applied",
	"OSPM":   "outbound spam",
	"PHSH":   "phishing",
	"SAP":    "safe attachments",
	"SPM":    "spam",
	"SPOOF":  "spoofing",
	"UIMP":   "user impersonation",
}

var ipvMeanings = map[string]string{
	"CAL": "source IP on an allow list of the connection filter",
	"NLI": "source IP not on any IP reputation list",
}

var dirMeanings = map[string]string{
	"INB": "inbound",
	"OUT": "outbound",
	"INT": "intra-organisation",
}

// forefrontFields are the X-Forefront-Antispam-Report fields decoded, with
// their meaning (fixed text or a table).
var forefrontFields = []struct {
	name    string
	meaning func(v string) string
}{
	{"CIP", fixed("connecting IP address")},
	{"CTRY", fixed("country of the connecting IP address")},
	{"LANG", fixed("language of the message")},
	{"SCL", sclMeaning},
	{"SFV", table(sfvMeanings)},
	{"IPV", table(ipvMeanings)},
	{"H", fixed("HELO or EHLO name of the connecting server")},
	{"PTR", fixed("reverse DNS name of the connecting IP address")},
	{"CAT", table(catMeanings)},
	{"SFTY", sftyMeaning},
	{"DIR", table(dirMeanings)},
}

func fixed(s string) func(string) string { return func(string) string { return s } }

func table(m map[string]string) func(string) string {
	return func(v string) string {
		if s, ok := m[strings.ToUpper(strings.TrimSpace(v))]; ok {
			return s
		}
		return "unknown"
	}
}

func sftyMeaning(v string) string {
	switch strings.TrimSpace(v) {
	case "9.19":
		return "domain impersonation"
	case "9.20":
		return "user impersonation"
	case "9.25":
		return "first contact safety tip"
	}
	if strings.HasPrefix(v, "9.") {
		return "phishing safety tip " + v
	}
	return "unknown"
}

// vendorField names a header decodeVendor reads.
func vendorField(name string) bool { return kindOf(name) == kVendor }

// vendorVerdicts is how many verdicts a vendor field gives at most
// (unless it repeats a name), by its index in fieldKinds.
func vendorVerdicts(name int) int {
	switch fieldKinds[name].name {
	case "X-Forefront-Antispam-Report":
		return len(forefrontFields)
	case "X-Spam-Status", "X-Spamd-Result":
		return 2
	}
	return 1
}

// decodeVendor appends the verdicts of one vendor field, header its name
// as written and name the index of that name in fieldKinds (hop and trust
// are filled by the caller).
func decodeVendor(out []Verdict, name int, header, v string) []Verdict {
	add := func(vendor, n, val, meaning string) {
		out = append(out, Verdict{Vendor: vendor, Header: header, Name: n, Value: val, Meaning: meaning})
	}
	switch fieldKinds[name].name {
	case "X-Forefront-Antispam-Report":
		for rest, more := v, true; more; {
			var part string
			part, rest, more = strings.Cut(rest, ";")
			k, val, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok {
				continue
			}
			for _, f := range forefrontFields {
				if strings.EqualFold(k, f.name) {
					if val != "" {
						add("microsoft", f.name, val, f.meaning(val))
					}
					break
				}
			}
		}
	case "X-Microsoft-Antispam":
		for rest, more := v, true; more; {
			var part string
			part, rest, more = strings.Cut(rest, ";")
			k, val, ok := strings.Cut(strings.TrimSpace(part), ":")
			if ok && strings.EqualFold(k, "BCL") {
				add("microsoft", "BCL", val, bclMeaning(val))
			}
		}
	case "X-MS-Exchange-Organization-SCL":
		val := strings.TrimSpace(v)
		add("microsoft", "SCL", val, sclMeaning(val))
	case "X-Spam-Status":
		flag, rest, _ := strings.Cut(strings.TrimSpace(v), ",")
		flag = strings.TrimSpace(flag)
		switch lower(flag) {
		case "yes":
			add("spamassassin", "status", flag, "spam")
		case "no":
			add("spamassassin", "status", flag, "not spam")
		}
		var score, req string
		for _, f := range strings.Fields(rest) {
			if s, ok := strings.CutPrefix(f, "score="); ok {
				score = s
			} else if s, ok := strings.CutPrefix(f, "required="); ok {
				req = s
			} else if s, ok := strings.CutPrefix(f, "hits="); ok { // SpamAssassin 2.x
				score = s
			}
		}
		if score != "" {
			add("spamassassin", "score", score, scoreMeaning(score, req))
		}
	case "X-Spam-Flag":
		val := strings.TrimSpace(v)
		m := "not spam"
		if strings.EqualFold(val, "yes") {
			m = "spam"
		}
		add("spamassassin", "flag", val, m)
	case "X-Spam-Score":
		val := strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(val, 64); err == nil {
			add("spamassassin", "score", val, "spam score (threshold not stated)")
		}
	case "X-Spamd-Result":
		// "default: False [0.80 / 15.00]; SYMBOL(...)..."
		head, _, _ := strings.Cut(v, ";")
		_, rest, ok := strings.Cut(head, ":")
		if !ok {
			break
		}
		rest = strings.TrimSpace(rest)
		flag, nums, _ := strings.Cut(rest, "[")
		flag = strings.TrimSpace(flag)
		switch lower(flag) {
		case "true":
			add("rspamd", "status", flag, "spam (action threshold reached)")
		case "false":
			add("rspamd", "status", flag, "not spam")
		}
		nums = strings.TrimSuffix(strings.TrimSpace(nums), "]")
		score, req, _ := strings.Cut(nums, "/")
		score, req = strings.TrimSpace(score), strings.TrimSpace(req)
		if score != "" {
			add("rspamd", "score", score, scoreMeaning(score, req))
		}
	}
	return out
}

func scoreMeaning(score, required string) string {
	s, err1 := strconv.ParseFloat(score, 64)
	r, err2 := strconv.ParseFloat(required, 64)
	switch {
	case err1 != nil:
		return "unknown"
	case err2 != nil:
		return "spam score (threshold not stated)"
	case s >= r:
		return "at or above the threshold " + required + ": spam"
	}
	return "below the threshold " + required + ": not spam"
}
