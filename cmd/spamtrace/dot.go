package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

// dotString quotes s as a DOT string: backslashes and quotes escaped,
// control characters dropped, header text sanitised first.
func dotString(s string) string {
	// line breaks the label asks for survive; header text has none left
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l, 80)
	}
	s = strings.Join(lines, "\n")
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeDOT prints the hop graph: each system a node, each hop an edge from
// sender to receiver, labelled with its time, delay and protocol. Broken
// links are red and dashed, the origin green, unverifiable hops grey and
// hops with medium or high findings red.
func writeDOT(w io.Writer, r *record) {
	name := recordName(r)
	fmt.Fprintf(w, "digraph spamtrace {\n  label=%s;\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", dotString(name))
	if r.tr == nil {
		fmt.Fprintf(w, "  error [label=%s, color=red];\n}\n", dotString(r.err.Error()))
		return
	}
	tr := r.tr
	worst := map[int]trace.Severity{}
	for _, f := range tr.Findings {
		if f.Hop >= 0 && f.Severity > worst[f.Hop] {
			worst[f.Hop] = f.Severity
		}
	}
	// Node ids: "s<i>" is the sender of hop i, "r<i>" its receiver. A hop's
	// receiver is the sender of the hop above when the chain connects, so
	// the two share one node.
	n := len(tr.Hops)
	recvID := make([]string, n)
	sendID := make([]string, n)
	for i := range tr.Hops {
		recvID[i] = fmt.Sprintf("r%d", i)
		sendID[i] = fmt.Sprintf("s%d", i)
	}
	for _, e := range tr.Edges {
		if !e.Broken && e.Match != trace.MatchNoData {
			recvID[e.Lower] = sendID[e.Upper]
		}
	}
	declared := map[string]bool{}
	node := func(id, label, attrs string) {
		if declared[id] {
			return
		}
		declared[id] = true
		fmt.Fprintf(w, "  %s [label=%s%s];\n", id, dotString(label), attrs)
	}
	for i := n - 1; i >= 0; i-- {
		h := &tr.Hops[i]
		rh := &h.Received
		fromLabel := fromCell(h)
		attrs := ""
		switch {
		case h.Trust == trace.TrustOrigin:
			attrs = ", style=filled, fillcolor=\"#c8f7c5\", penwidth=2"
		case h.Trust == trace.TrustUnverifiable:
			attrs = ", style=\"dashed,filled\", fillcolor=\"#eeeeee\""
		}
		if worst[i] >= trace.SeverityMedium {
			attrs += ", color=red"
		}
		node(sendID[i], fromLabel, attrs)
		byLabel := rh.By.Host
		if byLabel == "" {
			byLabel = "(unnamed)"
		}
		if rh.By.IPText != "" && rh.By.IPText != rh.By.Host {
			byLabel += " [" + rh.By.IPText + "]"
		}
		node(recvID[i], byLabel, "")
		label := fmt.Sprintf("hop %d", i)
		if !rh.Date.IsZero() {
			label += "\n" + rh.Date.UTC().Format("2006-01-02 15:04:05Z")
		}
		if d, ok := hopDelay(tr, i); ok {
			if h.Delay >= 0 {
				d = "+" + d // a negative delay has its own sign
			}
			label += "\n" + d
		}
		label += "\n" + withCell(h)
		eattrs := ""
		if h.Trust == trace.TrustUnverifiable {
			eattrs = ", style=dashed, color=gray"
		}
		if worst[i] >= trace.SeverityMedium {
			eattrs = ", color=red, fontcolor=red"
		}
		fmt.Fprintf(w, "  %s -> %s [label=%s%s];\n", sendID[i], recvID[i], dotString(label), eattrs)
	}
	for _, e := range tr.Edges {
		if e.Broken {
			fmt.Fprintf(w, "  %s -> %s [label=\"broken chain\", style=dotted, color=red, fontcolor=red, constraint=false];\n", recvID[e.Lower], sendID[e.Upper])
		}
	}
	fmt.Fprintln(w, "}")
}
