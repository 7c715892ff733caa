// Command forgeeval measures the trace package's forgery checks on real
// legitimate mail: it takes each ham message of the SpamAssassin public
// corpus, adds one forged Received header below the real ones (one
// category at a time), traces it, and reports how often the forged hop is
// flagged at medium or high, against how often the untouched messages
// raise that category. It also reports, for ham and spam, the share of
// messages with a medium or high finding per category, and the single-core
// speed of TraceMessage on the corpus.
//
// Usage: go run ./internal/cmd/forgeeval /path/to/package/data
//
// It is a measurement, not a test: CI does not run it.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net/mail"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spamtrace/spamtrace/internal/corpus"
	"github.com/spamtrace/spamtrace/received"
	"github.com/spamtrace/spamtrace/trace"
)

type forgery struct {
	cat   trace.Category
	make  func(f *forgeCtx) string
	label string // when not the category's name: a variant
}

// forgeCtx describes the real bottom hop a forged hop is added below.
type forgeCtx struct {
	rnd    *rand.Rand
	by     string    // the name the forged hop must claim as its receiver to connect
	date   time.Time // the bottom real hop's date
	rcpt   string
	to     string // the message's own first To address, "" if none
	n      int
	ip     netip.Addr
	ipText string
}

func publicIP(r *rand.Rand) netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{byte(1 + r.Intn(222)), byte(r.Intn(256)), byte(r.Intn(256)), byte(1 + r.Intn(254))})
		if a.IsGlobalUnicast() && !a.IsPrivate() && a.As4()[0] != 100 && a.As4()[0] != 127 && a.As4()[0] != 198 && a.As4()[0] != 192 && a.As4()[0] != 203 {
			return a
		}
	}
}

const sendmailChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"

// sendmailID encodes t the way sendmail 8.12 does (UTC).
func sendmailID(t time.Time, r *rand.Rand) string {
	u := t.UTC()
	b := []byte{sendmailChars[(u.Year()-1900)%60], sendmailChars[int(u.Month())-1], sendmailChars[u.Day()],
		sendmailChars[u.Hour()], sendmailChars[u.Minute()], sendmailChars[u.Second()], sendmailChars[r.Intn(60)]}
	return string(b) + fmt.Sprintf("%05d", r.Intn(99999))
}

// own is a host name under a registered domain of the forger's own, one per
// case (RFC 2606's .test): the forged names must share no registered domain
// with the real servers of the message. The anonymised folders of the
// modern corpus rewrote every real name to example.com, example.net and
// the like, so a forged name under one of those would look like a server
// of the recipient's own operator, which no real spammer's machine is.
func (f *forgeCtx) own(format string, args ...any) string {
	return fmt.Sprintf(format, args...) + fmt.Sprintf(".spam%d.test", f.n)
}

func dateText(t time.Time) string { return t.Format("Mon, 2 Jan 2006 15:04:05 -0700") }

// hop writes a forged hop; the zero arguments take plausible defaults.
func (f *forgeCtx) hop(helo, rdns, lit, by, id, date string) string {
	if helo == "" {
		helo = f.own("mail%d", f.n%7)
	}
	if rdns == "" {
		rdns = helo
	}
	if lit == "" {
		lit = f.ipText
	}
	if by == "" {
		by = f.by
	}
	if date == "" {
		date = dateText(f.date.Add(-2 * time.Minute))
	}
	if id == "" {
		id = sendmailID(f.date.Add(-2*time.Minute), f.rnd)
	}
	return fmt.Sprintf("from %s (%s [%s]) by %s (8.12.11/8.12.11) with ESMTP id %s for <%s>; %s", helo, rdns, lit, by, id, f.rcpt, date)
}

var forgeries = []forgery{
	{cat: trace.CategoryBrokenChain, make: func(f *forgeCtx) string {
		return f.hop("", "", "", f.own("relay%d.unrelated", f.n%5), "", "")
	}},
	{cat: trace.CategoryTimezoneMismatch, make: func(f *forgeCtx) string {
		t := f.date.Add(-2 * time.Minute).In(time.FixedZone("", -6*3600))
		// The offset is written out: in a layout "-0600" would hold the
		// year ("06").
		return f.hop("", "", "", "", "", t.Format("Mon, 2 Jan 2006 15:04:05")+" -0600 (EST)")
	}},
	{cat: trace.CategoryQueueIDTime, make: func(f *forgeCtx) string {
		t := f.date.Add(-2 * time.Minute)
		if f.n%2 == 0 {
			return f.hop("", "", "", "", sendmailID(t.Add(-5*time.Hour), f.rnd), "")
		}
		// old sendmail: the hour letter of a different hour
		h := (t.Hour() + 7) % 24
		return strings.Replace(f.hop("", "", "", "", fmt.Sprintf("%cAA%05d", 'A'+h, f.rnd.Intn(99999)), ""), "8.12.11/8.12.11", "8.9.3/8.9.3", 1)
	}},
	{cat: trace.CategoryInvalidIP, make: func(f *forgeCtx) string {
		b := f.ip.As4()
		return f.hop("", "", fmt.Sprintf("%d.%d.%d.%d", 256+f.rnd.Intn(700), b[1], b[2], b[3]), "", "", "")
	}},
	{cat: trace.CategoryReservedIP, make: func(f *forgeCtx) string {
		first := []int{0, 224, 239, 240, 250, 255}[f.n%6]
		b := f.ip.As4()
		return f.hop("", "", fmt.Sprintf("%d.%d.%d.%d", first, b[1], b[2], b[3]), "", "", "")
	}},
	{cat: trace.CategoryEncodedIP, make: func(f *forgeCtx) string {
		b := f.ip.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		lit := fmt.Sprint(v)
		switch f.n % 3 {
		case 1:
			lit = fmt.Sprintf("0x%x", v)
		case 2:
			lit = fmt.Sprintf("0%o.0%o.0%o.0%o", b[0], b[1], b[2], b[3])
		}
		return f.hop("", "", lit, "", "", "")
	}},
	{cat: trace.CategoryTimeTravel, make: func(f *forgeCtx) string {
		t := f.date.Add(time.Duration(26+f.n%48) * time.Hour)
		return f.hop("", "", "", "", sendmailID(t, f.rnd), dateText(t))
	}},
	{cat: trace.CategoryHELOIPMismatch, make: func(f *forgeCtx) string {
		return f.hop("["+publicIP(f.rnd).String()+"]", f.own("host%d", f.n), "", "", "", "")
	}},
	{cat: trace.CategoryDynamicHost, make: func(f *forgeCtx) string {
		b := f.ip.As4()
		name := []string{"ppp-%d-%d-%d-%d.dialup", "dsl%d-%d-%d-%d.pool", "%d-%d-%d-%d.dyn", "cpe-%d-%d-%d-%d.cable"}[f.n%4]
		rd := f.own(name, b[0], b[1], b[2], b[3])
		return f.hop(rd, rd, "", "", "", "")
	}},
	{cat: trace.CategoryDynamicHost, label: "dynamic (for=To)", make: func(f *forgeCtx) string {
		// The same forged hop, but its envelope recipient is the
		// message's own: only the structure of the chain can tell.
		if f.to == "" {
			return ""
		}
		b := f.ip.As4()
		rd := f.own("dsl%d-%d-%d-%d.pool", b[0], b[1], b[2], b[3])
		return strings.Replace(f.hop(rd, rd, "", "", "", ""), "for <"+f.rcpt+">", "for <"+f.to+">", 1)
	}},
	{cat: trace.CategoryForgedHELO, make: func(f *forgeCtx) string {
		helo := []string{"mail.yahoo.com", "smtp.gmail.com", "mx.hotmail.com", "mail.aol.com"}[f.n%4]
		return f.hop(helo, f.own("host%d", f.n), "", "", "", "")
	}},
	{cat: trace.CategorySpamware, make: func(f *forgeCtx) string {
		return f.hop("alt1", f.own("host%d", f.n), "", "", "", "")
	}},
}

// insertBelow adds a Received field after the last one of raw's header.
func insertBelow(raw, field string) string {
	end := strings.Index(raw, "\n\n")
	if end < 0 {
		end = len(raw)
	}
	head := raw[:end]
	lines := strings.SplitAfter(head, "\n")
	last := -1
	for i, l := range lines {
		if len(l) >= 9 && strings.EqualFold(l[:9], "received:") {
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	j := last + 1
	for j < len(lines) && len(lines[j]) > 0 && (lines[j][0] == ' ' || lines[j][0] == '\t') {
		j++
	}
	if j == len(lines) && !strings.HasSuffix(head, "\n") {
		return head + "\nReceived: " + field + raw[end:]
	}
	return strings.Join(lines[:j], "") + "Received: " + field + "\n" + strings.Join(lines[j:], "") + raw[end:]
}

func traceText(s string) *trace.Trace {
	tr, err := trace.TraceMessage(context.Background(), strings.NewReader(s))
	if err != nil {
		return nil
	}
	return tr
}

func main() {
	deanon := flag.Bool("deanonymize", false, "undo the 2002 corpus's partial anonymization (spamassassin.taint.org for redhat.com) before tracing")
	modern := flag.String("modern", "", "also measure the modern corpus in this directory (MANIFEST.tsv, *.eml per folder)")
	speed := flag.Bool("speed", true, "report single-core TraceMessage speed on the 2002 corpus")
	flag.Parse()
	if flag.NArg() > 1 || (flag.NArg() == 0 && *modern == "") {
		fmt.Fprintln(os.Stderr, "usage: forgeeval [-deanonymize] [-modern MODERN-DIR] [CORPUS-DATA-DIR]")
		os.Exit(2)
	}
	if flag.NArg() == 1 {
		msgs, err := corpus.Load(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if *deanon {
			// The corpus replaced some occurrences of Red Hat's host names
			// with spamassassin.taint.org but not others, so hops written by
			// one server name it two ways.
			for i := range msgs {
				msgs[i].Text = strings.ReplaceAll(msgs[i].Text, "spamassassin.taint.org", "redhat.com")
			}
		}
		var ham, spam []corpus.Message
		for _, m := range msgs {
			if m.IsHam() {
				ham = append(ham, m)
			} else {
				spam = append(spam, m)
			}
		}
		fmt.Printf("== SpamAssassin 2002 corpus: %d ham, %d spam\n\n", len(ham), len(spam))
		if *speed {
			// Speed, one core, in memory.
			prev := runtime.GOMAXPROCS(1)
			start := time.Now()
			for _, m := range msgs {
				traceText(m.Text)
			}
			el := time.Since(start)
			runtime.GOMAXPROCS(prev)
			fmt.Printf("TraceMessage, 1 core, whole messages in memory: %d messages in %v = %.0f messages/s\n\n", len(msgs), el.Round(time.Millisecond), float64(len(msgs))/el.Seconds())
		}
		evaluate(ham, spam)
	}
	if *modern != "" {
		ham, spam, err := loadModern(*modern)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("== modern corpus (%s): %d legitimate, %d spam\n\n", *modern, len(ham), len(spam))
		evaluate(ham, spam)
	}
}

// anonymised are the modern corpus's folders whose collector rewrote host
// names, addresses and dates (SOURCES.md): real structure, altered values.
var anonymised = map[string]bool{"bounces-sisimai-set-of-emails": true}

// knownSpam are messages of the legitimate folders that SOURCES.md names
// as spam ("a real spam sample relayed through GMX").
var knownSpam = map[string]bool{"fixtures-nodemailer-mailparser/test_fixtures_spam.eml": true}

// loadModern reads the modern corpus. Spam is the spam archive's folder and
// any message a list's own filter marked as spam (X-Spam-Status: Yes or
// X-Spam-Flag: YES) or that SOURCES.md names (knownSpam); everything else (list traffic, bounces, reports,
// fixtures) is legitimate.
func loadModern(dir string) (ham, spam []corpus.Message, err error) {
	msgs, err := corpus.LoadModern(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		m.Text = strings.ReplaceAll(m.Text, "\r\n", "\n")
		hdr := m.Text
		if k := strings.Index(hdr, "\n\n"); k >= 0 {
			hdr = hdr[:k+1]
		}
		lh := strings.ToLower(hdr)
		if strings.HasPrefix(m.Group, "spam-") || strings.Contains(lh, "\nx-spam-status: yes") || strings.Contains(lh, "\nx-spam-flag: yes") || knownSpam[m.Path] {
			spam = append(spam, m)
		} else {
			ham = append(ham, m)
		}
	}
	return ham, spam, nil
}

// evaluate prints, for one corpus, the share of messages with a medium or
// high finding per category, the origin's agreement with the receivers'
// own client records, and the recall of each forged-hop category.
func evaluate(ham, spam []corpus.Message) {
	hc, hany := share(ham)
	sc, sany := share(spam)
	var untouched []corpus.Message
	for _, m := range ham {
		if !anonymised[m.Group] {
			untouched = append(untouched, m)
		}
	}
	uc, uany := share(untouched)
	cats := map[trace.Category]bool{}
	for c := range hc {
		cats[c] = true
	}
	for c := range sc {
		cats[c] = true
	}
	var names []string
	for c := range cats {
		names = append(names, string(c))
	}
	sort.Strings(names)
	pct := func(n, d int) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(d))
	}
	fmt.Printf("%-20s %14s %14s %16s\n", "medium/high share", "ham", "spam", "untouched ham")
	for _, c := range names {
		k := trace.Category(c)
		fmt.Printf("%-20s %5d %8s %5d %8s %5d %10s\n", c, hc[k], pct(hc[k], len(ham)), sc[k], pct(sc[k], len(spam)), uc[k], pct(uc[k], len(untouched)))
	}
	fmt.Printf("%-20s %5d %8s %5d %8s %5d %10s\n", "any category", hany, pct(hany, len(ham)), sany, pct(sany, len(spam)), uany, pct(uany, len(untouched)))
	fmt.Printf("(untouched ham: %d messages, without the folders whose collector anonymised hosts, addresses and dates)\n\n", len(untouched))

	fmt.Printf("%-20s %8s %10s %10s %10s %10s %12s\n", "origin vs record", "messages", "w/ record", "agree", "any rec.", "recip-side", "r-s w/ rec.")
	for _, set := range []struct {
		name string
		msgs []corpus.Message
	}{{"ham", ham}, {"spam", spam}} {
		var o originStats
		for _, m := range set.msgs {
			o.add(m.Path, m.Text)
		}
		fmt.Printf("%-20s %8d %10d %10s %10s %10s %12s\n", set.name, len(set.msgs), o.withRecord, pct(o.agree, o.withRecord), pct(o.anyRecord, o.withRecord), pct(o.recipientSide, len(set.msgs)), pct(o.recipWithRecord, o.withRecord))
		if os.Getenv("FORGEEVAL_DISAGREE") == set.name {
			for _, d := range o.disagree {
				fmt.Println("  disagree:", d)
			}
		}
		if os.Getenv("FORGEEVAL_RECIPSIDE") == set.name {
			for _, d := range o.recipList {
				fmt.Println("  recipient-side origin:", d)
			}
		}
	}
	fmt.Println()

	// Forged hop injection.
	rnd := rand.New(rand.NewSource(1))
	fmt.Printf("%-18s %8s %10s %10s %12s %12s %12s\n", "forged category", "cases", "detected", "ham FP", "origin safe", "untouched", "unt. safe")
	for _, fg := range forgeries {
		label := string(fg.cat)
		if fg.label != "" {
			label = fg.label
		}
		cases, detected, originSafe, misses := 0, 0, 0, 0
		casesU, detectedU, safeU := 0, 0, 0
		for i, m := range ham {
			hdr := m.Text
			if k := strings.Index(hdr, "\n\n"); k >= 0 {
				hdr = hdr[:k+2]
			}
			msg, err := received.ReadMessage(strings.NewReader(hdr), nil)
			if err != nil || len(msg.Hops) == 0 {
				continue
			}
			bottom := msg.Hops[len(msg.Hops)-1]
			if bottom.Date.IsZero() {
				continue
			}
			by := bottom.From.RDNS
			if by == "" {
				by = bottom.From.HELO
			}
			if by == "" || strings.HasPrefix(by, "[") {
				if bottom.From.IP.IsValid() {
					by = "[" + bottom.From.IP.String() + "]"
				} else {
					by = bottom.By.Host
				}
			}
			if by == "" {
				continue
			}
			ip := publicIP(rnd)
			fc := &forgeCtx{rnd: rnd, by: by, date: bottom.Date, rcpt: "user@example.org", n: i, ip: ip, ipText: ip.String()}
			if a, err := mail.ParseAddressList(msg.Header.Get("To")); err == nil && len(a) > 0 {
				fc.to = a[0].Address
			}
			fake := fg.make(fc)
			if fake == "" {
				continue
			}
			forged := insertBelow(hdr, fake)
			if forged == "" {
				continue
			}
			tr := traceText(forged)
			if tr == nil {
				continue
			}
			cases++
			fh := len(tr.Hops) - 1
			hit := false
			for _, f := range tr.Findings {
				if f.Category == fg.cat && f.Hop == fh && f.Severity >= trace.SeverityMedium {
					hit = true
					break
				}
			}
			untouched := !anonymised[m.Group]
			if untouched {
				casesU++
			}
			if hit {
				detected++
				if untouched {
					detectedU++
				}
			}
			if !hit && os.Getenv("FORGEEVAL_MISSES") == label && misses < 4000 {
				misses++
				e := tr.Edges[len(tr.Edges)-1]
				fmt.Printf("miss: %s %s | %s\n   %s\n", m.Path, e.Match, e.Detail, strings.Join(strings.Fields(tr.Hops[fh-1].Received.Raw), " "))
			}
			if tr.Origin.IP != ip {
				originSafe++
				if untouched {
					safeU++
				}
			} else if os.Getenv("FORGEEVAL_ORIGIN") == label {
				fmt.Printf("origin moved to the forged hop: %s: %s\n", m.Path, tr.Origin.Reason)
			}
		}
		fmt.Printf("%-18s %8d %10s %10s %12s %12s %12s\n", label, cases, pct(detected, cases), pct(hc[fg.cat], len(ham)), pct(originSafe, cases), pct(detectedU, casesU), pct(safeU, casesU))
	}
	fmt.Println()
}

// share counts the messages with a medium or high finding, per category.
func share(set []corpus.Message) (map[trace.Category]int, int) {
	counts := map[trace.Category]int{}
	any := 0
	for _, m := range set {
		tr := traceText(m.Text)
		if tr == nil {
			continue
		}
		seen := map[trace.Category]bool{}
		for _, f := range tr.Findings {
			if f.Severity >= trace.SeverityMedium {
				seen[f.Category] = true
			}
		}
		if len(seen) > 0 {
			any++
		}
		for c := range seen {
			counts[c]++
			if os.Getenv("FORGEEVAL_SHOW") == string(c) {
				for _, f := range tr.Findings {
					if f.Category == c && f.Severity >= trace.SeverityMedium {
						fmt.Printf("  %s %s: %s\n", m.Path, f.Rule, f.Message)
					}
				}
			}
		}
	}
	return counts, any
}
