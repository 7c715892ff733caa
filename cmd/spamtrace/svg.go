package main

import (
	"strconv"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// The hop graph is laid out here and drawn by the "graph" template as
// inline SVG, so a report needs no Graphviz and no script. The path is a
// column read from top to bottom, oldest system first: each system a box,
// each hop an arrow from the system that sent to the one that wrote the
// Received header. Where the chain connects (the server that wrote a hop
// is the client the hop above recorded) the two are one box; where it
// does not, two boxes are joined by a red dashed "broken chain" link (grey
// and dotted when the headers lack what is needed to compare). A dashed
// line across the origin hop's arrow marks the trust boundary: the boxes
// below it are not vouched for by any trusted server.

// Geometry of the graph, in SVG user units (the drawing scales to the
// page's width).
const (
	svgWidth     = 480
	svgPad       = 8
	svgNodeH     = 44
	svgGap       = 56 // arrow between two boxes
	svgGapOrigin = 76 // the origin hop's arrow, with room for the boundary
	svgArrowX    = 40
	svgLabelX    = 56
	svgNameChars = 52 // what fits in a box at the drawing's font size
	svgLabelLen  = 60
)

type svgGraph struct {
	Width, Height int
	Nodes         []svgNode
	Edges         []svgEdge
	Boundary      *svgBoundary
}

type svgNode struct {
	X, Y, W, H int
	TextX      int
	NameY      int
	SubY       int
	Class      string // "trusted", "origin" or "unverifiable", plus " flagged"
	Role       string // "sender", "receiver" or "relay" (both)
	Name, Sub  string
	Title      string
}

type svgEdge struct {
	X, Y1, Y2 int
	Head      string // points of the arrowhead polygon
	Class     string // "hop" (plus "dim", "flagged") or "broken", "nodata"
	Hop       int    // the hop for a hop arrow; the upper hop for a link
	LabelX    int
	Label1Y   int
	Label2Y   int
	Label1    string
	Label2    string
	Title     string
}

type svgBoundary struct {
	X1, X2, Y int
	TextX     int
	TextY     int
}

type svgBox struct{ name, sub, title string }

func senderBox(h *trace.Hop) svgBox {
	f := &h.Received.From
	name := f.RDNS
	if name == "" {
		name = f.HELO
	}
	if name == "" && f.Ident != "" {
		name = "(local: " + f.Ident + ")"
	}
	if name == "" {
		name = "(unnamed)"
	}
	var sub []string
	if f.IPText != "" {
		sub = append(sub, "["+f.IPText+"]")
	}
	if f.HELO != "" && !strings.EqualFold(f.HELO, name) {
		sub = append(sub, "HELO "+f.HELO)
	}
	return svgBox{name, strings.Join(sub, " "), fromCell(h)}
}

func receiverBox(h *trace.Hop) svgBox {
	b := &h.Received.By
	name := b.Host
	if name == "" {
		name = "(unnamed)"
	}
	sub := ""
	if b.IPText != "" && b.IPText != b.Host {
		sub = "[" + b.IPText + "]"
	}
	if b.Software != "" {
		sub = strings.TrimSpace(sub + " " + b.Software)
	}
	return svgBox{name, sub, "by " + name + " " + sub}
}

// merged reports whether the edge joins its two hops into one system.
func merged(e trace.Edge) bool { return !e.Broken && e.Match != trace.MatchNoData }

// layoutGraph places the boxes and arrows of tr's hop graph; nil when the
// message has no Received header. worst holds each hop's most severe
// finding.
func layoutGraph(tr *trace.Trace, worst map[int]trace.Severity) *svgGraph {
	n := len(tr.Hops)
	if n == 0 {
		return nil
	}
	g := &svgGraph{Width: svgWidth}
	y := svgPad
	addNode := func(b svgBox, class, role string) {
		g.Nodes = append(g.Nodes, svgNode{X: svgPad, Y: y, W: svgWidth - 2*svgPad, H: svgNodeH,
			TextX: svgPad + 10, NameY: y + 18, SubY: y + 35, Class: class, Role: role,
			Name: sanitize(b.name, svgNameChars), Sub: sanitize(b.sub, svgNameChars+12), Title: sanitize(b.title, htmlLong)})
		y += svgNodeH
	}
	addEdge := func(gap int, class string, hop int, l1, l2, title string) *svgEdge {
		y2 := y + gap
		g.Edges = append(g.Edges, svgEdge{X: svgArrowX, Y1: y, Y2: y2 - 1, Class: class, Hop: hop,
			Head:   points(svgArrowX-5, y2-9, svgArrowX+5, y2-9, svgArrowX, y2-1),
			LabelX: svgLabelX, Label1Y: y + 22, Label2Y: y + 38,
			Label1: sanitize(l1, svgLabelLen), Label2: sanitize(l2, svgLabelLen), Title: sanitize(title, htmlLong)})
		y = y2
		return &g.Edges[len(g.Edges)-1]
	}
	senderClass := func(h *trace.Hop) string {
		c := "unverifiable"
		switch h.Trust {
		case trace.TrustOrigin:
			c = "origin"
		case trace.TrustTrusted:
			c = "trusted"
		}
		if worst[h.Index] >= trace.SeverityMedium {
			c += " flagged"
		}
		return c
	}
	receiverClass := func(h *trace.Hop) string {
		if h.Trust == trace.TrustTrusted || h.Trust == trace.TrustOrigin {
			return "trusted"
		}
		return "unverifiable"
	}
	for i := n - 1; i >= 0; i-- {
		h := &tr.Hops[i]
		switch {
		case i == n-1:
			addNode(senderBox(h), senderClass(h), "sender")
		case i < len(tr.Edges) && merged(tr.Edges[i]):
			// the box drawn last is the writer of the hop below and the
			// client of this one
			last := &g.Nodes[len(g.Nodes)-1]
			last.Role = "relay"
			last.Title = sanitize(last.Title+"; the hop above recorded it as "+fromCell(h), htmlLong)
			if s := senderBox(h).sub; s != "" {
				last.Sub = sanitize(s, svgNameChars+12)
			}
			if h.Trust == trace.TrustOrigin || worst[h.Index] >= trace.SeverityMedium {
				last.Class = senderClass(h)
			}
		default:
			class, l1 := "broken", "broken chain"
			if i < len(tr.Edges) && tr.Edges[i].Match == trace.MatchNoData {
				class, l1 = "nodata", "not comparable"
			}
			detail := ""
			if i < len(tr.Edges) {
				detail = tr.Edges[i].Detail
			}
			addEdge(svgGap, class, i, l1+" between hop "+strconv.Itoa(i+1)+" and hop "+strconv.Itoa(i), detail, detail)
			addNode(senderBox(h), senderClass(h), "sender")
		}
		rh := &h.Received
		l1 := "hop " + strconv.Itoa(i)
		if !rh.Date.IsZero() {
			l1 += " · " + rh.Date.UTC().Format("2006-01-02 15:04:05Z")
		}
		switch {
		case h.Delay > 0:
			l1 += " · +" + fmtDelay(h.Delay)
		case h.Delay < 0:
			l1 += " · " + fmtDelay(h.Delay) + " (clocks disagree)"
		}
		l2 := withCell(h)
		if rh.TLS.Version != "" {
			l2 += " · " + rh.TLS.Version
		}
		class := "hop"
		if h.Trust == trace.TrustUnverifiable {
			class += " dim"
		}
		if worst[i] >= trace.SeverityMedium {
			class += " flagged"
			l2 += " · " + worst[i].String() + " findings"
		}
		gap := svgGap
		origin := h.Trust == trace.TrustOrigin
		if origin {
			gap = svgGapOrigin
		}
		top := y
		addEdge(gap, class, i, l1, l2, rh.Raw)
		if origin {
			g.Boundary = &svgBoundary{X1: 0, X2: svgWidth, Y: top + 56, TextX: svgWidth - svgPad, TextY: top + 52}
		}
		addNode(receiverBox(h), receiverClass(h), "receiver")
	}
	g.Height = y + svgPad
	return g
}

func points(xy ...int) string {
	var b strings.Builder
	for i, v := range xy {
		if i > 0 {
			if i%2 == 1 {
				b.WriteByte(',')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(strconv.Itoa(v))
	}
	return b.String()
}
