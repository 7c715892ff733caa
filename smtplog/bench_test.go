package smtplog

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// synthLog is a Postfix log generated on the fly: connections of several
// smtpd processes interleaved, each with a message going through cleanup,
// qmgr and smtp, every tenth refused by a blocklist. A block of about
// 8 MB is written once and replayed, its day of the month advanced each
// time so the log's clock keeps moving (and the time-out keeps
// flushing); generating every line afresh would cost more than reading it.
type synthLog struct {
	block  []byte
	starts []int // offsets of the lines in block
	off    int
	day    int
	limit  int64
	read   int64
}

var synthBlock = sync.OnceValue(func() *synthLog {
	g := &synthLog{}
	for i := 0; len(g.block) < 8<<20; i++ {
		g.session(i)
	}
	return g
})

// newSynthLog returns a generator of limit bytes; the block is written
// once per process, outside the timed loops.
func newSynthLog(limit int64) *synthLog {
	b := synthBlock()
	return &synthLog{block: bytes.Clone(b.block), starts: b.starts, limit: limit, day: 1}
}

func (g *synthLog) line(format string, args ...any) {
	g.starts = append(g.starts, len(g.block))
	g.block = fmt.Appendf(g.block, format, args...)
}

func (g *synthLog) session(i int) {
	sec := i / 8
	ts := fmt.Sprintf("Mar 01 %02d:%02d:%02d", sec/3600%24, sec/60%60, sec%60)
	pid := 1000 + i%16
	ip := fmt.Sprintf("198.51.%d.%d", i/250%250, i%250)
	qid := fmt.Sprintf("%X", 0x10000000+i)
	host := fmt.Sprintf("mail%d.example.net", i%977)
	if i%10 == 0 {
		g.line("%s mx postfix/smtpd[%d]: connect from unknown[%s]\n", ts, pid, ip)
		g.line("%s mx postfix/smtpd[%d]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; from=<spam@%s> to=<bob@example.org> proto=ESMTP helo=<%s>\n", ts, pid, ip, ip, host, host)
		g.line("%s mx postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4\n", ts, pid, ip)
		return
	}
	g.line("%s mx postfix/smtpd[%d]: connect from %s[%s]\n", ts, pid, host, ip)
	g.line("%s mx postfix/smtpd[%d]: Anonymous TLS connection established from %s[%s]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n", ts, pid, host, ip)
	g.line("%s mx postfix/smtpd[%d]: %s: client=%s[%s]\n", ts, pid, qid, host, ip)
	g.line("%s mx postfix/cleanup[%d]: %s: message-id=<%d.%s@%s>\n", ts, 500+i%4, qid, i, qid, host)
	g.line("%s mx postfix/qmgr[99]: %s: from=<news@%s>, size=%d, nrcpt=1 (queue active)\n", ts, qid, host, 2000+i%5000)
	g.line("%s mx postfix/smtpd[%d]: disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7\n", ts, pid, host, ip)
	g.line("%s mx postfix/smtp[%d]: %s: to=<bob@example.org>, relay=mail.example.org[203.0.113.7]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n", ts, 700+i%8, qid)
	g.line("%s mx postfix/qmgr[99]: %s: removed\n", ts, qid)
}

func (g *synthLog) Read(p []byte) (int, error) {
	if g.read >= g.limit {
		return 0, io.EOF
	}
	if g.off >= len(g.block) {
		g.off = 0
		g.day++
		d := []byte{byte('0' + g.day/10%10), byte('0' + g.day%10)}
		if g.day > 28 {
			d[0], d[1] = '2', '8' // stays in March; the clock then only repeats
		}
		for _, s := range g.starts {
			g.block[s+4], g.block[s+5] = d[0], d[1]
		}
	}
	n := copy(p, g.block[g.off:])
	if rem := g.limit - g.read; int64(n) > rem {
		n = int(rem)
	}
	g.off += n
	g.read += int64(n)
	return n, nil
}

// BenchmarkPostfixGB reads 1 GB of synthetic Postfix log. The reported
// MB/s is the throughput on one goroutine; peak-heap-MB is the largest
// heap seen while reading, which stays flat however long the log.
func BenchmarkPostfixGB(b *testing.B) {
	const size = 1 << 30
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	synthBlock()
	cpu0 := cpuTime()
	for b.Loop() {
		r := NewReader(newSynthLog(size), nil)
		n := 0
		for {
			s, err := r.Next()
			if err != nil {
				break
			}
			if n++; n%200_000 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			_ = s
		}
		if st := r.Stats(); st.Unknown != 0 {
			b.Fatalf("%d unknown lines: %q", st.Unknown, st.UnknownSample)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	// CPU seconds, not wall-clock: on a shared machine the wall clock
	// counts the time other processes held the core
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*size/(1<<20)/cpu.Seconds(), "cpu-MB/s")
	}
}

// BenchmarkPostfix64MB is the same on 64 MB, for quick comparisons.
func BenchmarkPostfix64MB(b *testing.B) {
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(newSynthLog(size), nil)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
