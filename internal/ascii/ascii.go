// Package ascii compares header text ignoring ASCII case, without
// allocating: header names, keywords and host names are ASCII, and
// strings.EqualFold's Unicode folding is both slower and wrong for them
// (it folds the Kelvin sign K into k).
package ascii

// Lower returns c lower-cased if it is an ASCII capital letter.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal ignoring ASCII case.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// EqualFoldBytes is EqualFold for a byte slice, without converting it.
func EqualFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether s begins with prefix, ignoring ASCII case.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && EqualFold(s[:len(prefix)], prefix)
}

// IndexFold is strings.Index ignoring ASCII case.
func IndexFold(s, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	first := Lower(sub[0])
	for i := 0; i+n <= len(s); i++ {
		if Lower(s[i]) == first && EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

// ContainsFold is strings.Contains ignoring ASCII case.
func ContainsFold(s, sub string) bool { return IndexFold(s, sub) >= 0 }
