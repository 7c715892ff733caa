package received

import (
	"time"

	"github.com/spamtrace/spamtrace/internal/ascii"
)

// The reasons of a *DateError. parseDate returns them as constants, so a
// failed parse on the hot path (the search for a date with no ';' before
// it) does not allocate.
const (
	reasonDateEmpty  = "empty date"
	reasonDateNone   = "date has no day, month, year or time of day"
	reasonDateNoDay  = "date has no day, month and year"
	reasonDateNoTime = "date has no time of day"
	reasonDateRange  = "date field out of range"
)

// maxDateLen bounds the text ParseDate looks at: real dates are under 80
// bytes, and a hostile 20 MB "date" must not cost 20 MB of scanning.
const maxDateLen = 256

// ParseDate parses the date of a Received header (the text after its ';')
// or of a Date header. It accepts RFC 5322 section 3.3 dates and their
// obsolete forms (section 4.3), and what real MTAs write besides: no
// weekday, no seconds, two- and three-digit years, named zones (UT, GMT,
// EST, CEST…), a numeric offset followed by a zone name in parentheses,
// unsigned offsets ("0530"), "+05:30", fractional seconds, AM/PM, asctime
// order ("Thu Aug 22 10:00:00 2002"), "Aug, 22 2002", numeric dates with
// slashes ("2002/09/14"; "22/08/2002" is read day first, as qmail-scanner
// writes it, unless only month first fits, as in "08/22/2002"), ISO dates
// ("2026-04-29 19:12:16.1 +0000 UTC m=+7.8" as Go prints a time.Time) and
// trailing comments or junk.
//
// zone is the zone name as written ("EST" in "-0500 (EST)", "GMT" in
// "12:00:00 GMT"), or "". A date with no offset and no known zone name is
// taken as UTC. The returned time keeps the written offset.
//
// The error is a *[DateError].
func ParseDate(s string) (t time.Time, zone string, err error) {
	t, zone, reason := parseDate(s)
	if reason != "" {
		return t, zone, dateError(s, reason)
	}
	return t, zone, nil
}

func dateError(s, reason string) *DateError {
	if len(s) > maxDateLen {
		s = s[:maxDateLen]
	}
	return &DateError{Date: s, Reason: reason}
}

// parseDate is ParseDate returning the reason of its error, "" when there
// is none.
func parseDate(s string) (t time.Time, zone string, reason string) {
	if t, zone, ok := parseDateRFC(s); ok {
		return t, zone, ""
	}
	return parseDateAny(s)
}

// parseDateRFC reads the date nearly every MTA writes, RFC 5322's
// "[Thu, ]22 Aug 2002 07:36:16 -0400[ (EDT)]" with a four-digit year (and
// sendmail's "Fri,  9 Aug" padding), in
// one pass, and reports whether s is exactly that. It gives what
// parseDateAny gives for such a text (FuzzParseDateRFC holds it to that);
// anything else is left to parseDateAny.
func parseDateRFC(s string) (t time.Time, zone string, ok bool) {
	i := 0
	if len(s) >= 5 && s[3] == ',' && s[4] == ' ' && isLetter(s[0]) && isLetter(s[1]) && isLetter(s[2]) {
		k := fold3(s)
		if k != weekdayKeys[0] && k != weekdayKeys[1] && k != weekdayKeys[2] && k != weekdayKeys[3] &&
			k != weekdayKeys[4] && k != weekdayKeys[5] && k != weekdayKeys[6] {
			return t, "", false
		}
		i = 5
		if len(s) > 6 && s[5] == ' ' && isDigit(s[6]) {
			i = 6 // "Fri,  9 Aug", as sendmail pads the day
		}
	}
	// Day: one or two digits, then a space.
	if i+1 >= len(s) || !isDigit(s[i]) {
		return t, "", false
	}
	day := int(s[i] - '0')
	i++
	if isDigit(s[i]) {
		day = day*10 + int(s[i]-'0')
		i++
	}
	// " Mmm yyyy hh:mm:ss +hhmm" is 24 bytes.
	if len(s)-i < 24 {
		return t, "", false
	}
	r := s[i : i+24]
	if r[0] != ' ' || r[4] != ' ' || r[9] != ' ' || r[12] != ':' || r[15] != ':' || r[18] != ' ' || r[19] != '+' && r[19] != '-' ||
		!isLetter(r[1]) || !isLetter(r[2]) || !isLetter(r[3]) {
		return t, "", false
	}
	month := -1
	k := fold3(r[1:4])
	for m, mk := range monthKeys {
		if k == mk {
			month = m
			break
		}
	}
	if month < 0 {
		return t, "", false
	}
	y1, ok1 := digits2(r[5], r[6])
	y2, ok2 := digits2(r[7], r[8])
	hour, ok3 := digits2(r[10], r[11])
	min, ok4 := digits2(r[13], r[14])
	sec, ok5 := digits2(r[16], r[17])
	oh, ok6 := digits2(r[20], r[21])
	om, ok7 := digits2(r[22], r[23])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || oh > 14 || om > 59 {
		return t, "", false
	}
	year := y1*100 + y2
	i += 24
	// Then the end, or " (Zone)" with a zone word of letters.
	if i < len(s) {
		rest := s[i:]
		n := len(rest)
		if n < 4 || rest[0] != ' ' || rest[1] != '(' || rest[n-1] != ')' || n-3 > 6 {
			return t, "", false
		}
		zone = rest[2 : n-1]
		for j := 0; j < len(zone); j++ {
			if !isLetter(zone[j]) {
				return t, "", false
			}
		}
	}
	if day < 1 || day > daysIn(month, year) || hour > 24 || min > 59 || sec > 60 {
		return t, "", false
	}
	offset := oh*3600 + om*60
	if r[19] == '-' {
		offset = -offset
	}
	if year < 1 {
		return time.Date(year, time.Month(month+1), day, hour, min, sec, 0, fixedZone(offset)), zone, true
	}
	// What time.Date gives, without its normalising: the seconds since
	// 1970 of the civil date (days as in Howard Hinnant's days_from_civil,
	// March-based years), then the zone.
	y, m := year, month+1
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + day - 1
	days := era*146097 + yoe*365 + yoe/4 - yoe/100 + doy - 719468
	unix := int64(days)*86400 + int64(hour*3600+min*60+sec) - int64(offset)
	return time.Unix(unix, 0).In(fixedZone(offset)), zone, true
}

// digits2 reads two decimal digits.
func digits2(a, b byte) (int, bool) {
	x, y := a-'0', b-'0'
	return int(x)*10 + int(y), x <= 9 && y <= 9
}

// parseDateAny is parseDate for any text: it reads the date's parts in
// whatever order and form they come.
func parseDateAny(s string) (t time.Time, zone string, reason string) {
	if len(s) > maxDateLen {
		s = s[:maxDateLen]
	}
	var (
		year, month, day      = -1, -1, -1
		hour, min, sec, nsec  = -1, 0, 0, 0
		offset                = 0
		haveOffset, pm, am    bool
		zoneOffset, zoneKnown = 0, false
		yearDigits            int
		content               bool // a byte other than white space, ',', ';' and comments
	)
	i := 0
	n := len(s)
	for i < n {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' || c == ';':
			i++
		case c == '(':
			// A comment: the first one holding a bare name is the zone name.
			j, depth := i+1, 1
			for j < n && depth > 0 {
				switch s[j] {
				case '(':
					depth++
				case ')':
					depth--
				case '\\':
					j++
				}
				j++
			}
			end := j - 1
			if depth > 0 {
				end = n
			}
			if zone == "" && i+1 < end {
				inner := trimSpace(s[i+1 : end])
				if isZoneWord(inner) {
					zone = inner
					if !haveOffset {
						zoneOffset, zoneKnown = namedZoneOffset(inner)
					}
				}
			}
			i = j
		case (c == '+' || c == '-') && i+1 < n && isDigit(s[i+1]) && hour < 0:
			content = true
			i++ // a separator ("04-Sep-2002"), not an offset
		case (c == '+' || c == '-') && i+1 < n && isDigit(s[i+1]):
			content = true
			j := i + 1
			for j < n && (isDigit(s[j]) || s[j] == ':') {
				j++
			}
			if hour >= 0 && !haveOffset {
				if off, ok := parseOffset(s[i+1 : j]); ok {
					offset = off
					if c == '-' {
						offset = -off
					}
					haveOffset = true
				}
			}
			i = j
		case isDigit(c):
			content = true
			j := i
			for j < n && isDigit(s[j]) {
				j++
			}
			num := s[i:j]
			if j < n && s[j] == ':' && len(num) <= 2 {
				// hh:mm[:ss[.frac]]
				h := atoi(num)
				k := j + 1
				m, k2 := readDigits(s, k, 2)
				if k2 == k {
					i = j + 1
					continue
				}
				k = k2
				sc := 0
				if k < n && s[k] == ':' {
					var k3 int
					sc, k3 = readDigits(s, k+1, 2)
					if k3 == k+1 {
						sc = 0
					}
					k = k3
					if k < n && (s[k] == '.' || s[k] == ',') && k+1 < n && isDigit(s[k+1]) {
						k++
						scale := 100000000
						for k < n && isDigit(s[k]) {
							nsec += int(s[k]-'0') * scale
							scale /= 10
							k++
						}
					}
				}
				if hour < 0 {
					hour, min, sec = h, m, sc
				}
				i = k
				continue
			}
			if j < n && s[j] == '/' && year < 0 && month < 0 && day < 0 {
				if k, ok := slashDate(s, i, j, &year, &yearDigits, &month, &day); ok {
					i = k
					continue
				}
			}
			if j < n && s[j] == '-' && len(num) == 4 && year < 0 {
				// ISO 8601: yyyy-mm-dd
				mo, k := readDigits(s, j+1, 2)
				if k < n && s[k] == '-' {
					d, k2 := readDigits(s, k+1, 2)
					if k2 > k+1 {
						year, yearDigits, month, day = atoi(num), 4, mo-1, d
						i = k2
						if i < n && (s[i] == 'T' || s[i] == 't') {
							i++
						}
						continue
					}
				}
			}
			switch {
			case hour >= 0 && !haveOffset && len(num) == 4 && year >= 0 && day >= 0:
				// An unsigned offset: "10:00:00 0530".
				if off, ok := parseOffset(num); ok {
					offset, haveOffset = off, true
				}
			case day < 0 && len(num) <= 2 && (month >= 0 || year < 0):
				day = atoi(num)
			case year < 0 && (len(num) == 4 || (len(num) <= 3 && day >= 0 && month >= 0)):
				year, yearDigits = atoi(num), len(num)
			case day < 0 && len(num) <= 2:
				day = atoi(num)
			}
			i = j
		case isLetter(c):
			content = true
			j := i
			for j < n && isLetter(s[j]) {
				j++
			}
			w := s[i:j]
			if j < n && s[j] == '=' {
				// Go's monotonic clock reading "m=+7.8": the end.
				i = n
				continue
			}
			if mo := monthIndex(w); mo >= 0 && month < 0 {
				month = mo
			} else if isWeekday(w) {
				// ignored: the date decides the weekday
			} else if ascii.EqualFold(w, "AM") {
				am = true
			} else if ascii.EqualFold(w, "PM") {
				pm = true
			} else if hour >= 0 && zone == "" && len(w) <= 5 {
				if off, ok := namedZoneOffset(w); ok {
					zone = w
					if !haveOffset {
						zoneOffset, zoneKnown = off, true
					}
				} else if year >= 0 && isUpperWord(w) && len(w) >= 2 {
					zone = w
				}
			}
			i = j
		default:
			content = true
			i++
		}
	}
	if year < 0 && month < 0 && day < 0 && hour < 0 {
		if !content {
			return time.Time{}, zone, reasonDateEmpty
		}
		return time.Time{}, zone, reasonDateNone
	}
	if year < 0 || month < 0 || day < 0 {
		return time.Time{}, zone, reasonDateNoDay
	}
	if hour < 0 {
		return time.Time{}, zone, reasonDateNoTime
	}
	switch {
	case yearDigits <= 2 && year < 50:
		year += 2000
	case yearDigits <= 3:
		year += 1900
	}
	if pm && hour < 12 {
		hour += 12
	} else if am && hour == 12 {
		hour = 0
	}
	if month > 11 || day < 1 || day > daysIn(month, year) || hour > 24 || min > 59 || sec > 60 || year > 9999 {
		return time.Time{}, zone, reasonDateRange
	}
	if !haveOffset && zoneKnown {
		offset = zoneOffset
	}
	return time.Date(year, time.Month(month+1), day, hour, min, sec, nsec, fixedZone(offset)), zone, ""
}

// slashDate reads a numeric date written with slashes, starting at s[i]
// whose first number ends at s[j] == '/'. "yyyy/mm/dd" is year first.
// Otherwise the order is day first ("22/08/2002", as qmail-scanner writes
// it), unless only month first makes sense ("08/22/2002"). It returns the
// offset after the date.
func slashDate(s string, i, j int, year, yearDigits, month, day *int) (int, bool) {
	a, la := atoi(s[i:j]), j-i
	b, k := readDigits(s, j+1, 2)
	if k == j+1 || k >= len(s) || s[k] != '/' {
		return 0, false
	}
	c, k2 := readDigits(s, k+1, 4)
	lc := k2 - (k + 1)
	if k2 < len(s) && isDigit(s[k2]) {
		return 0, false
	}
	switch {
	case la == 4 && lc >= 1 && lc <= 2:
		*year, *yearDigits, *month, *day = a, 4, b-1, c
	case la <= 2 && (lc == 4 || lc == 2):
		d, mo := a, b
		if a <= 12 && b > 12 {
			d, mo = b, a
		}
		*year, *yearDigits, *month, *day = c, lc, mo-1, d
	default:
		return 0, false
	}
	return k2, true
}

// daysIn returns the days of month (0–11) in year: "30 Feb" is out of
// range, not silently read as 2 March.
func daysIn(month, year int) int {
	switch month {
	case 1:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 3, 5, 8, 10:
		return 30
	}
	return 31
}

// parseOffset reads "hhmm", "hh:mm" or "hh" as seconds east of UTC.
func parseOffset(s string) (int, bool) {
	var h, m int
	switch {
	case len(s) == 4 && allDigits(s):
		h, m = atoi(s[:2]), atoi(s[2:])
	case len(s) == 5 && s[2] == ':' && allDigits(s[:2]) && allDigits(s[3:]):
		h, m = atoi(s[:2]), atoi(s[3:])
	case len(s) <= 2 && allDigits(s):
		h = atoi(s)
	default:
		return 0, false
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return h*3600 + m*60, true
}

// zoneTable lists zone abbreviations with one common meaning, for dates
// that give a name and no numeric offset (RFC 5322 section 4.3 names the
// US ones; the rest are what real MTAs write).
var zoneTable = [...]struct {
	name   string
	offset int // minutes east of UTC
}{
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"WET", 0},
	{"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
	{"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	{"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"AST", -240}, {"ADT", -180},
	{"NST", -210}, {"NDT", -150},
	{"BST", 60}, {"IST", 330}, {"WEST", 60}, {"CET", 60}, {"CEST", 120}, {"MET", 60},
	{"MEST", 120}, {"MEZ", 60}, {"MESZ", 120}, {"EET", 120}, {"EEST", 180},
	{"MSK", 180}, {"JST", 540}, {"KST", 540}, {"HKT", 480}, {"SGT", 480},
	{"AWST", 480}, {"ACST", 570}, {"ACDT", 630}, {"AEST", 600}, {"AEDT", 660},
	{"NZST", 720}, {"NZDT", 780}, {"SAST", 120},
}

func namedZoneOffset(w string) (int, bool) {
	for _, z := range zoneTable {
		if ascii.EqualFold(w, z.name) {
			return z.offset * 60, true
		}
	}
	return 0, false
}

// isZoneWord reports whether a comment's text is a zone name: letters
// only, short ("EST", "CEST"), as written beside a numeric offset.
func isZoneWord(s string) bool {
	if len(s) == 0 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func isUpperWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// monthIndex returns 0–11 for a month name or its three-letter
// abbreviation (any case; "Sept" too), else -1.
func monthIndex(w string) int {
	if len(w) < 3 {
		return -1
	}
	// The three letters, lower-cased, as one number: one comparison each.
	k := fold3(w)
	for i, m := range monthKeys {
		if k == m {
			if len(w) == 3 || len(w) == 4 && (w[3] == 't' || w[3] == 'T') && i == 8 || isFullMonth(w, i) {
				return i
			}
			return -1
		}
	}
	return -1
}

// fold3 packs the first three bytes of w, ASCII letters lower-cased.
func fold3(w string) uint32 {
	return uint32(w[0]|0x20)<<16 | uint32(w[1]|0x20)<<8 | uint32(w[2]|0x20)
}

var monthKeys, weekdayKeys = func() (m [12]uint32, d [7]uint32) {
	for i, n := range monthNames {
		m[i] = fold3(n)
	}
	for i, n := range weekdays {
		d[i] = fold3(n)
	}
	return
}()

var fullMonths = [12]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

func isFullMonth(w string, i int) bool { return ascii.EqualFold(w, fullMonths[i]) }

var weekdays = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
var fullWeekdays = [7]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

func isWeekday(w string) bool {
	if len(w) != 3 && len(w) < 6 {
		return false
	}
	k := fold3(w)
	for i, d := range weekdayKeys {
		if k == d {
			return len(w) == 3 || ascii.EqualFold(w, fullWeekdays[i])
		}
	}
	return false
}

// fixedZones caches a *time.Location for every offset that is a multiple
// of 15 minutes from -14:00 to +14:00, so parsing does not allocate.
var fixedZones [113]*time.Location

func init() {
	for i := range fixedZones {
		off := (i - 56) * 15 * 60
		fixedZones[i] = time.FixedZone("", off)
	}
	fixedZones[56] = time.UTC
}

func fixedZone(offset int) *time.Location {
	if offset%(15*60) == 0 {
		if i := offset/(15*60) + 56; i >= 0 && i < len(fixedZones) {
			return fixedZones[i]
		}
	}
	return time.FixedZone("", offset)
}

func readDigits(s string, i, max int) (int, int) {
	v, k := 0, i
	for k < len(s) && k-i < max && isDigit(s[k]) {
		v = v*10 + int(s[k]-'0')
		k++
	}
	return v, k
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s) && i < 9; i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
