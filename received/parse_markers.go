package received

import "strings"

// Marker words that may stand in any comment of a Received header. A
// comment is searched for all of them in one pass (most bytes fail the
// first-letter switch), instead of once per marker.

type markerID uint8

const (
	mUsing markerID = iota
	mCipher
	mWithCipher
	mVersionEq
	mCipherEq
	mCipherSpEq
	mBitsEq
	mTLSColon
	mAuthSender
	mAuthenticated
	mNotAuthenticated
	mUnauthenticated
	mAuthColon
	mEnvelopeFrom
	mEnvelopeSender
	mInvokedByUID
	mInvokedFromNetwork
	mInvokedByAlias
	mInvokedForBounce
	mFromUserid
	mMayBeForged
	numMarkers
)

var markerText = [numMarkers]string{
	mUsing:              "using ",
	mCipher:             "cipher",
	mWithCipher:         "with cipher ",
	mVersionEq:          "version=",
	mCipherEq:           "cipher=",
	mCipherSpEq:         "cipher =",
	mBitsEq:             "bits=",
	mTLSColon:           "TLS: ",
	mAuthSender:         "Authenticated sender:",
	mAuthenticated:      "authenticated",
	mNotAuthenticated:   "not authenticated",
	mUnauthenticated:    "unauthenticated",
	mAuthColon:          "AUTH: ",
	mEnvelopeFrom:       "envelope-from",
	mEnvelopeSender:     "envelope-sender",
	mInvokedByUID:       "invoked by uid ",
	mInvokedFromNetwork: "invoked from network",
	mInvokedByAlias:     "invoked by alias",
	mInvokedForBounce:   "invoked for bounce",
	mFromUserid:         "from userid ",
	mMayBeForged:        "may be forged",
}

// markersByFirst lists, for each lower-case first byte, the markers that
// start with it.
// markerEntry is one marker of either kind, lower-cased, filed under its
// first byte.
type markerEntry struct {
	text    string // lower-cased
	second  byte   // text[1], checked before the rest
	comment bool   // a comment marker (id) rather than a dialect marker (dialect)
	id      markerID
	dialect uint8
}

// markerTab lists, for each lower-case first byte, the comment and dialect
// markers starting with it, so a text is searched for all of them in one
// pass.
var markerTab [256][]markerEntry

// markerSeconds[l] is the set of lower-case second bytes of the markers
// whose lower-case first byte is l (l < 128: markers start with a letter
// or digit), so most word starts are passed over with one test.
var markerSeconds [128][4]uint64

func init() {
	defer func() {
		for l, tab := range markerTab {
			for _, e := range tab {
				markerSeconds[l][e.second>>6] |= 1 << (e.second & 63)
			}
		}
	}()
	for id := markerID(0); id < numMarkers; id++ {
		t := strings.ToLower(markerText[id])
		markerTab[t[0]] = append(markerTab[t[0]], markerEntry{text: t, second: t[1], comment: true, id: id})
	}
	for i, m := range dialectMarkers {
		t := strings.ToLower(m.marker)
		markerTab[t[0]] = append(markerTab[t[0]], markerEntry{text: t, second: t[1], dialect: uint8(i)})
	}
}

// markerPos holds 1 + the first position of each marker in a comment, 0
// when absent (so the zero value needs no initialising).
type markerPos [numMarkers]int32

// findMarkers fills m with the first position of every comment marker in
// c and returns the smallest index of a dialect marker in c
// (len(dialectMarkers) when none), ignoring ASCII case. Markers are only
// looked for at the start of a word (so "authenticated" is not found
// inside "unauthenticated"). It reads c once.
func findMarkers(c string, m *markerPos) (dialect int) {
	dialect = len(dialectMarkers)
	n := len(c)
	for i := 0; i+1 < n; {
		if charClass[c[i]]&ccAlnum == 0 {
			i++
			continue
		}
		// c[i] starts a word.
		l1, l2 := lowerTab[c[i]], lowerTab[c[i+1]]
		if markerSeconds[l1&127][l2>>6]&(1<<(l2&63)) != 0 {
			tab := markerTab[l1]
			for k := range tab {
				e := &tab[k]
				if e.second != l2 || n-i < len(e.text) || !restEqualLower(c[i+2:], e.text[2:]) {
					continue
				}
				if e.comment {
					if m[e.id] == 0 {
						m[e.id] = int32(i) + 1
					}
				} else if int(e.dialect) < dialect {
					dialect = int(e.dialect)
				}
			}
		}
		for i++; i < n && charClass[c[i]]&ccAlnum != 0; i++ {
		}
	}
	return dialect
}

// findDialect is findMarkers for the dialect markers alone.
func findDialect(c string) int {
	var m markerPos
	return findMarkers(c, &m)
}

// restEqualLower reports whether s starts with lower, a lower-case string,
// ignoring the case of s.
func restEqualLower(s, lower string) bool {
	for j := 0; j < len(lower); j++ {
		if lowerTab[s[j]] != lower[j] {
			return false
		}
	}
	return true
}

// has reports whether marker id was found.
func (m *markerPos) has(id markerID) bool { return m[id] > 0 }

// at returns the position of marker id (only when has(id)).
func (m *markerPos) at(id markerID) int { return int(m[id]) - 1 }

// lowerTab maps ASCII upper-case letters to lower case, every other byte
// to itself.
var lowerTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// hasPrefixFoldFast is hasPrefixFold through lowerTab.
func hasPrefixFoldFast(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerTab[s[i]] != lowerTab[prefix[i]] {
			return false
		}
	}
	return true
}
