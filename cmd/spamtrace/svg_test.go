package main

import (
	"strings"
	"testing"

	"github.com/spamtrace/spamtrace/received"
	"github.com/spamtrace/spamtrace/trace"
)

// The layout of a chain with each kind of link: a connected pair, a
// break, and a hop whose writer is not named (nothing to compare).
func TestGraphLayout(t *testing.T) {
	var hops []received.Hop
	for _, s := range []string{
		"from mx1.example.org (mx1.example.org [10.1.2.3]) by mail.example.org (Postfix) with ESMTP id 1; Tue, 12 Mar 2024 13:14:31 +0000",
		"from relay.example.net (relay.example.net [81.2.69.77]) by mx1.example.org (Postfix) with ESMTP id 2; Tue, 12 Mar 2024 13:14:29 +0000",
		"from unrelated.example.com (unrelated.example.com [81.2.69.80]) by other.example.com with SMTP id 3; Tue, 12 Mar 2024 13:14:00 +0000",
		"from [192.0.2.7] with SMTP; Tue, 12 Mar 2024 13:13:00 +0000",
	} {
		h, _ := received.Parse(s)
		hops = append(hops, h)
	}
	tr := (&trace.Tracer{LocalDomains: []string{"example.org"}}).TraceHops(hops)
	g := layoutGraph(tr, map[int]trace.Severity{})
	var classes []string
	for _, e := range g.Edges {
		classes = append(classes, strings.Fields(e.Class)[0])
	}
	t.Logf("edges drawn: %v; origin hop %d", classes, tr.Origin.Hop)
	wantNodes := len(hops) + 1
	for _, e := range tr.Edges {
		if !merged(e) {
			wantNodes++
		}
	}
	if len(g.Nodes) != wantNodes {
		t.Errorf("%d nodes, want %d (edges %+v)", len(g.Nodes), wantNodes, tr.Edges)
	}
	hopArrows := 0
	for _, c := range classes {
		if c == "hop" {
			hopArrows++
		}
	}
	if hopArrows != len(hops) {
		t.Errorf("%d hop arrows for %d hops (%v)", hopArrows, len(hops), classes)
	}
	for _, e := range tr.Edges {
		var want string
		switch {
		case e.Broken:
			want = "broken"
		case e.Match == trace.MatchNoData:
			want = "nodata"
		default:
			continue
		}
		found := false
		for _, ge := range g.Edges {
			if strings.Fields(ge.Class)[0] == want && ge.Hop == e.Upper {
				found = true
			}
		}
		if !found {
			t.Errorf("edge %d-%d (%s) not drawn as %s: %v", e.Upper, e.Lower, e.Match, want, classes)
		}
	}
	// boxes and arrows alternate down the page without overlapping, and
	// everything fits in the drawing
	y := 0
	for i, n := range g.Nodes {
		if n.Y < y || n.X < 0 || n.X+n.W > g.Width {
			t.Errorf("node %d at %d,%d overlaps what is above it or leaves the drawing", i, n.X, n.Y)
		}
		y = n.Y + n.H
	}
	for i, e := range g.Edges {
		if e.Y2 <= e.Y1 || e.Y2 > g.Height {
			t.Errorf("edge %d runs from %d to %d", i, e.Y1, e.Y2)
		}
	}
	if g.Height < y {
		t.Errorf("height %d, content ends at %d", g.Height, y)
	}
	if tr.Origin.Hop >= 0 {
		if g.Boundary == nil {
			t.Fatal("no trust boundary")
		}
		// the boundary crosses the origin hop's arrow
		crossed := false
		for _, e := range g.Edges {
			if e.Hop == tr.Origin.Hop && strings.HasPrefix(e.Class, "hop") && e.Y1 < g.Boundary.Y && g.Boundary.Y < e.Y2 {
				crossed = true
			}
		}
		if !crossed {
			t.Errorf("the trust boundary at y=%d crosses no arrow of origin hop %d", g.Boundary.Y, tr.Origin.Hop)
		}
	}
	if layoutGraph(&trace.Trace{}, nil) != nil {
		t.Error("a graph for a message without hops")
	}
}
