package main

import (
	"io"
	"strings"

	"github.com/rivo/uniseg"
)

// textWidth is the width the text report fits: a terminal of 100 columns.
const textWidth = 100

// visibleWidth is the number of terminal columns s takes: colour codes
// take none, wide characters two.
func visibleWidth(s string) int {
	if strings.IndexByte(s, '\033') < 0 {
		return uniseg.StringWidth(s)
	}
	n := 0
	for s != "" {
		if esc := ansiLen(s); esc > 0 {
			s = s[esc:]
			continue
		}
		i := strings.IndexByte(s, '\033')
		if i < 0 {
			i = len(s)
		}
		n += uniseg.StringWidth(s[:i])
		s = s[i:]
	}
	return n
}

// ansiLen is the length of the colour code (CSI ... m) s starts with, or 0.
func ansiLen(s string) int {
	if len(s) < 2 || s[0] != '\033' || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return 0
}

// writeWrapped writes s as lines of at most textWidth columns. It breaks
// at spaces; continuation lines start with indent spaces. A word wider
// than a whole line is cut where it must be: a host name or a URL can be,
// an IP address (45 columns at most) never is, since every line has room
// for more.
func writeWrapped(w io.Writer, s string, indent int) {
	io.WriteString(w, wrapLine(s, textWidth, indent))
}

// wrapLine is writeWrapped's text, with its final newline.
func wrapLine(s string, width, indent int) string {
	if visibleWidth(s) <= width {
		return s + "\n"
	}
	var b strings.Builder
	pad := strings.Repeat(" ", indent)
	col := 0
	lineStart := true
	for s != "" {
		// the next separator (spaces) and word
		sp := 0
		for sp < len(s) && s[sp] == ' ' {
			sp++
		}
		end := strings.IndexByte(s[sp:], ' ')
		if end < 0 {
			end = len(s)
		} else {
			end += sp
		}
		sep, word := s[:sp], s[sp:end]
		s = s[end:]
		ww := visibleWidth(word)
		switch {
		case lineStart && col == 0:
			// the very first word: keep its leading spaces
			b.WriteString(sep)
			col = visibleWidth(sep)
		case col+len(sep)+ww <= width:
			b.WriteString(sep)
			col += len(sep)
		case ww > width-indent && col+len(sep) < width-8:
			// it is cut wherever it starts: start it here
			b.WriteString(sep)
			col += len(sep)
		default:
			b.WriteString("\n")
			b.WriteString(pad)
			col = indent
		}
		lineStart = false
		// a word wider than a whole line is cut
		for col+ww > width {
			head, tail := cutWidth(word, width-col)
			b.WriteString(head)
			b.WriteString("\n")
			b.WriteString(pad)
			col = indent
			word = tail
			ww = visibleWidth(word)
		}
		b.WriteString(word)
		col += ww
	}
	b.WriteString("\n")
	return b.String()
}

// cutWidth splits s after at most n columns, between characters, never
// inside a colour code.
func cutWidth(s string, n int) (string, string) {
	col := 0
	i := 0
	for i < len(s) {
		if esc := ansiLen(s[i:]); esc > 0 {
			i += esc
			continue
		}
		g := uniseg.NewGraphemes(s[i:])
		if !g.Next() {
			break
		}
		cl := g.Str()
		cw := uniseg.StringWidth(cl)
		if col+cw > n {
			break
		}
		col += cw
		i += len(cl)
	}
	if i == 0 && len(s) > 0 {
		// not even one character fits: take one anyway, or no progress
		g := uniseg.NewGraphemes(s)
		g.Next()
		i = len(g.Str())
	}
	return s[:i], s[i:]
}
