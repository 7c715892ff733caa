package trace

// zoneOffsets lists, for each zone abbreviation MTAs write beside or
// instead of a numeric offset, every offset (in minutes east of UTC) that
// abbreviation is really used for. Abbreviations shared by several regions
// (CST: US Central and China; IST: India, Israel, Ireland; BST: British
// Summer and Bangladesh; EST: US Eastern and Australian Eastern) list all of
// them, so only a contradiction with every meaning is reported.
//
// strict marks names that have one unambiguous meaning, whose mismatch is a
// strong sign of forgery (the classic "-0600 (EST)").
var zoneOffsets = map[string]struct {
	offsets []int
	strict  bool
}{
	"UT":   {[]int{0}, true},
	"UTC":  {[]int{0}, true},
	"GMT":  {[]int{0}, true},
	"Z":    {[]int{0}, true},
	"EST":  {[]int{-300, 600, 660}, true},
	"EDT":  {[]int{-240, 660}, true},
	"CST":  {[]int{-360, 480, 570, 630, -300}, true},
	"CDT":  {[]int{-300, 630, -240}, true},
	"MST":  {[]int{-420}, true},
	"MDT":  {[]int{-360}, true},
	"PST":  {[]int{-480}, true},
	"PDT":  {[]int{-420}, true},
	"AKST": {[]int{-540}, true},
	"AKDT": {[]int{-480}, true},
	"HST":  {[]int{-600}, true},
	"AST":  {[]int{-240, 180}, false},
	"ADT":  {[]int{-180}, false},
	"NST":  {[]int{-210}, false},
	"NDT":  {[]int{-150}, false},
	"BST":  {[]int{60, 360}, false},
	"IST":  {[]int{330, 120, 60}, false},
	"WET":  {[]int{0}, false},
	"WEST": {[]int{60}, false},
	"CET":  {[]int{60}, false},
	"CEST": {[]int{120}, false},
	"MET":  {[]int{60}, false},
	"MEST": {[]int{120}, false},
	"MEZ":  {[]int{60}, false},
	"MESZ": {[]int{120}, false},
	"EET":  {[]int{120}, false},
	"EEST": {[]int{180}, false},
	"MSK":  {[]int{180, 240}, false},
	"MSD":  {[]int{240}, false},
	"JST":  {[]int{540}, false},
	"KST":  {[]int{540}, false},
	"HKT":  {[]int{480}, false},
	"SGT":  {[]int{480}, false},
	"AWST": {[]int{480}, false},
	"ACST": {[]int{570}, false},
	"ACDT": {[]int{630}, false},
	"AEST": {[]int{600}, false},
	"AEDT": {[]int{660}, false},
	"NZST": {[]int{720}, false},
	"NZDT": {[]int{780}, false},
	"SAST": {[]int{120}, false},
	"BRT":  {[]int{-180}, false},
	"ART":  {[]int{-180}, false},
}

// normZone upper-cases an abbreviation; it returns "" for names that are
// not a bare abbreviation (long Windows names, "GMT+1" and the like).
func normZone(s string) string {
	if len(s) == 0 || len(s) > 5 {
		return ""
	}
	var b [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		default:
			return ""
		}
		b[i] = c
	}
	return string(b[:len(s)])
}
