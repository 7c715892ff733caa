package received

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
var markersByFirst [256][]markerID

func init() {
	for id := markerID(0); id < numMarkers; id++ {
		c := lowerTab[markerText[id][0]]
		markersByFirst[c] = append(markersByFirst[c], id)
	}
}

// markerPos holds the first position of each marker in a comment, -1 when
// absent.
type markerPos [numMarkers]int32

// findMarkers fills m with the first position of every marker in c, and
// returns the smallest index of a dialect marker in c (len(dialectMarkers)
// when none),
// ignoring ASCII case. Markers are only looked for at the start of a word
// (so "authenticated" is not found inside "unauthenticated"). It reads c
// once.
func findMarkers(c string, m *markerPos) (dialect int) {
	dialect = len(dialectMarkers)
	for i := range m {
		m[i] = -1
	}
	wordStart := true
	for i := 0; i < len(c); i++ {
		b := c[i]
		alnum := charClass[b]&ccAlnum != 0
		if !wordStart || !alnum {
			wordStart = !alnum
			continue
		}
		wordStart = false
		lb := lowerTab[b]
		for _, id := range markersByFirst[lb] {
			if m[id] < 0 && hasPrefixFoldFast(c[i:], markerText[id]) {
				m[id] = int32(i)
			}
		}
		for _, k := range dialectByFirst[lb] {
			if int(k) < dialect && hasPrefixFoldFast(c[i:], dialectMarkers[k].marker) {
				dialect = int(k)
			}
		}
	}
	return dialect
}

// has reports whether marker id was found.
func (m *markerPos) has(id markerID) bool { return m[id] >= 0 }

// at returns the position of marker id (only when has(id)).
func (m *markerPos) at(id markerID) int { return int(m[id]) }

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
