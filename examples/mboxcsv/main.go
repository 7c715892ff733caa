// Command mboxcsv triages a mailbox file: one CSV row per message with its
// origin and its medium and high findings, for a spreadsheet.
//
//	go run ./examples/mboxcsv inbox.mbox > triage.csv
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spamtrace/spamtrace/trace"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mboxcsv MBOX")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	w := csv.NewWriter(os.Stdout)
	defer w.Flush()
	w.Write([]string{"position", "subject", "origin_ip", "origin_host", "hops", "findings"})
	var t trace.Tracer // the zero Tracer: offline, trust inferred
	pos := 0
	err = eachMessage(f, func(msg []byte) {
		pos++
		row := []string{fmt.Sprint(pos), "", "", "", "", ""}
		tr, err := t.Trace(context.Background(), bytes.NewReader(msg))
		if err != nil {
			row[5] = "error: " + err.Error()
			w.Write(row)
			return
		}
		row[1] = tr.Header.Subject
		if o := tr.Origin; o.IsValid() {
			if o.IP.IsValid() {
				row[2] = o.IP.String()
			}
			row[3] = o.Host
		}
		row[4] = fmt.Sprint(len(tr.Hops))
		var fs []string
		for _, f := range tr.Findings {
			if f.Severity >= trace.SeverityMedium {
				fs = append(fs, fmt.Sprintf("%s:%s@%d", f.Severity, f.Category, f.Hop))
			}
		}
		row[5] = strings.Join(fs, " ")
		w.Write(row)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// eachMessage splits an mbox at its "From " lines and unquotes ">From ".
func eachMessage(r io.Reader, fn func([]byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var cur bytes.Buffer
	started := false
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte("From ")) {
			if started {
				fn(bytes.Clone(cur.Bytes()))
			}
			cur.Reset()
			started = true
			continue
		}
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) && line[0] == '>' {
			line = line[1:]
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	if started {
		fn(cur.Bytes())
	}
	return sc.Err()
}
