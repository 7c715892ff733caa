package trace

import (
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/ascii"
	"github.com/spamtrace/spamtrace/received"
)

// Queue ids that encode the time they were made. Each decoder recognises
// one format only when its shape is unambiguous and the hop's MTA is known
// to write it, and reports the time the id encodes.
//
//   - sendmail 8.6–8.9: "GAA02084": the first letter is the local hour
//     ('A' = 00 … 'X' = 23), then two letters and the process id.
//   - sendmail 8.10 and later: "f7DHV1l01943": year mod 60, month (0-based),
//     day, hour, minute, second, each one character of
//     "0-9A-Za-x", then one or two envelope characters and the process id.
//     The time is UTC (seen on the SpamAssassin corpus: ids written during
//     British Summer Time are an hour behind the local date).
//   - Postfix long queue ids (enable_long_queue_ids): seconds since the epoch
//     in base 52 (digits, consonants upper then lower case), four characters
//     of microseconds, a 'z', the inode number.
//   - Exim: six base-62 characters of seconds since the epoch, '-', the
//     process id, '-', a fraction of a second (4.97 and later use longer
//     second and third parts). Decoded only on hops Exim is known to have
//     written (its name in the software comment or the with clause, or
//     its "helo=" shape): other software writes ids of the same shape
//     ("by tot-qpr-mailcore2 with JS-mailcore (0.1) id BWMj14-AAAA79-Zg").
//
// Look-alikes recognised and skipped:
//
//   - Proofpoint (Protection Server, pphosted.com and ppops.net hosts, its
//     filter's "from pps.filterd (m0098399.ppops.net [127.0.0.1])"
//     hand-off) runs a modified sendmail whose version comment reads like
//     sendmail's ("(8.17.1.19/8.17.1.19)") and whose ids have sendmail
//     8.10's shape ("09ABWBCL081824", "36VDTaDI024754"), but the
//     characters do not encode the time as sendmail's do.

// queueIDKind names a recognised queue id format.
type queueIDKind uint8

const (
	qidNone queueIDKind = iota
	qidSendmailOld
	qidSendmail
	qidPostfixLong
	qidExim
)

func (k queueIDKind) String() string {
	switch k {
	case qidSendmailOld:
		return "sendmail 8.6–8.9 queue id"
	case qidSendmail:
		return "sendmail 8.10+ queue id"
	case qidPostfixLong:
		return "Postfix long queue id"
	case qidExim:
		return "Exim message id"
	}
	return ""
}

const sendmailIDChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
const postfixIDChars = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"

func sendmailDigit(c byte) int { return int(sendmailDigits[c]) }

// sendmailDigits maps a byte to its index in sendmailIDChars, or -1.
var sendmailDigits = func() (t [256]int8) {
	for i := range t {
		t[i] = int8(strings.IndexByte(sendmailIDChars, byte(i)))
	}
	return t
}()

// decodedID is what a queue id encodes.
type decodedID struct {
	kind queueIDKind
	// For sendmail (local wall clock): hour always; the rest for 8.10+.
	year60, month, day, hour, min, sec int
	// For Postfix and Exim: absolute time.
	abs time.Time
}

func looksSendmail(h *received.Hop) bool {
	if h.Dialect == "sendmail" {
		return true
	}
	s := h.By.Software
	// "8.12.5/8.12.5", "8.9.3", "Sendmail 8.14.4"
	if containsLower(s, "sendmail") {
		return true
	}
	return len(s) >= 3 && s[0] == '8' && s[1] == '.' && s[2] >= '0' && s[2] <= '9'
}

func looksPostfix(h *received.Hop) bool {
	return h.Dialect == "postfix" || containsLower(h.By.Software, "postfix")
}

func looksExim(h *received.Hop) bool {
	return h.Dialect == "exim" || containsLower(h.By.Software, "exim")
}

// containsLower is strings.Contains(strings.ToLower(s), sub) for a
// lower-case ASCII sub, without lower-casing an ASCII s.
func containsLower(s, sub string) bool {
	if isASCII(s) {
		return ascii.ContainsFold(s, sub)
	}
	return strings.Contains(strings.ToLower(s), sub)
}

func decodeQueueID(h *received.Hop) (decodedID, bool) {
	var by hostName
	by.set(h.By.Host)
	return decodeQueueIDBy(h, &by)
}

// decodeQueueIDBy is decodeQueueID with the hop's by host already
// worked out.
func decodeQueueIDBy(h *received.Hop, by *hostName) (decodedID, bool) {
	id := h.ID
	switch {
	case h.Dialect == "proofpoint":
		return decodedID{}, false
	case looksSendmail(h):
		if lookAlikeIDs(h, by) {
			return decodedID{}, false
		}
		return decodeSendmailID(id)
	case looksPostfix(h):
		return decodePostfixLongID(id)
	case looksExim(h):
		return decodeEximID(id)
	}
	return decodedID{}, false
}

// lookAlikeIDs reports whether the hop was written by software whose ids
// look like a decodable format but do not encode the time that way (see
// the list above).
func lookAlikeIDs(h *received.Hop, by *hostName) bool {
	if h.Dialect == "proofpoint" || strings.EqualFold(h.From.HELO, "pps.filterd") {
		return true
	}
	if e := by.infoOf(by.norm); e != nil && e.family >= 0 && operatorFamilies[e.family].name == "Proofpoint" {
		return true
	}
	return false
}

func decodeSendmailID(id string) (decodedID, bool) {
	// Old form: [A-X][A-Z][A-Z] then at least five digits.
	if len(id) >= 8 && id[0] >= 'A' && id[0] <= 'X' && isUpper(id[1]) && isUpper(id[2]) && isAllDigits(id[3:]) {
		return decodedID{kind: qidSendmailOld, hour: int(id[0] - 'A')}, true
	}
	// New form: six time characters, one or two envelope characters, at
	// least five digits.
	if len(id) < 12 || len(id) > 16 {
		return decodedID{}, false
	}
	var v [6]int
	for i := range v {
		v[i] = sendmailDigit(id[i])
		if v[i] < 0 {
			return decodedID{}, false
		}
	}
	if v[1] > 11 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return decodedID{}, false
	}
	rest := id[6:]
	okEnv := func(n int) bool {
		for i := 0; i < n; i++ {
			if sendmailDigit(rest[i]) < 0 {
				return false
			}
		}
		return len(rest)-n >= 5 && isAllDigits(rest[n:])
	}
	if !okEnv(1) && !okEnv(2) {
		return decodedID{}, false
	}
	return decodedID{kind: qidSendmail, year60: v[0], month: v[1], day: v[2], hour: v[3], min: v[4], sec: v[5]}, true
}

func decodePostfixLongID(id string) (decodedID, bool) {
	z := strings.IndexByte(id, 'z')
	if z < 10 || z > 14 || z == len(id)-1 {
		return decodedID{}, false
	}
	var secs int64
	for i := 0; i < z-4; i++ {
		d := strings.IndexByte(postfixIDChars, id[i])
		if d < 0 {
			return decodedID{}, false
		}
		secs = secs*52 + int64(d)
	}
	var usec int64
	for i := z - 4; i < z; i++ {
		d := strings.IndexByte(postfixIDChars, id[i])
		if d < 0 {
			return decodedID{}, false
		}
		usec = usec*52 + int64(d)
	}
	if usec >= 1e6 {
		return decodedID{}, false
	}
	for i := z + 1; i < len(id); i++ {
		if d := strings.IndexByte(postfixIDChars, id[i]); d < 0 || d > 50 {
			return decodedID{}, false
		}
	}
	return decodedID{kind: qidPostfixLong, abs: time.Unix(secs, usec*1000).UTC()}, true
}

func isEximShape(id string) bool {
	// 6-6-2 (classic) or 6-11-4 (Exim 4.97+).
	if len(id) == 16 && id[6] == '-' && id[13] == '-' {
		return true
	}
	return len(id) == 23 && id[6] == '-' && id[18] == '-'
}

func base62(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

func decodeEximID(id string) (decodedID, bool) {
	if !isEximShape(id) {
		return decodedID{}, false
	}
	for i := 0; i < len(id); i++ {
		if id[i] != '-' && base62(id[i]) < 0 {
			return decodedID{}, false
		}
	}
	var secs int64
	for i := 0; i < 6; i++ {
		secs = secs*62 + int64(base62(id[i]))
	}
	return decodedID{kind: qidExim, abs: time.Unix(secs, 0).UTC()}, true
}

// eximBase36Time decodes the first six characters in base 36, the scheme
// Exim uses on case-insensitive file systems.
func eximBase36Time(id string) (time.Time, bool) {
	var secs int64
	for i := 0; i < 6 && i < len(id); i++ {
		c := id[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			return time.Time{}, false
		}
		secs = secs*36 + int64(d)
	}
	return time.Unix(secs, 0).UTC(), true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// queueIDSkew returns how far the time an id encodes is from the hop's own
// date, and whether it could be compared.
func queueIDSkew(h *received.Hop, hn *hopNames) (decodedID, time.Duration, bool) {
	if h.ID == "" || h.Date.IsZero() {
		return decodedID{}, 0, false
	}
	d, ok := decodeQueueIDBy(h, &hn.by)
	if !ok {
		return d, 0, false
	}
	t := h.Date
	switch d.kind {
	case qidSendmailOld:
		diff := absInt(t.Hour() - d.hour)
		if diff > 12 {
			diff = 24 - diff
		}
		if diff <= 1 {
			return d, 0, true
		}
		return d, time.Duration(diff) * time.Hour, true
	case qidSendmail:
		// sendmail 8.10+ encodes the time in UTC (gmtime).
		u := t.UTC()
		if (u.Year()-1900)%60 != d.year60 {
			return d, 365 * 24 * time.Hour, true
		}
		enc := time.Date(u.Year(), time.Month(d.month+1), d.day, d.hour, d.min, d.sec, 0, time.UTC)
		return d, absDur(u.Sub(enc)), true
	case qidPostfixLong:
		return d, absDur(t.Sub(d.abs)), true
	case qidExim:
		skew := absDur(t.Sub(d.abs))
		if alt, ok := eximBase36Time(h.ID); ok {
			if s2 := absDur(t.Sub(alt)); s2 < skew {
				skew = s2
			}
		}
		return d, skew, true
	}
	return d, 0, false
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
