package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far a run is on a terminal's stderr: a bar of the
// bytes read against the bytes the walk has found so far (so an mbox moves
// the bar as its messages are traced), the files done and found, the rate
// and the time left. It is cleared at the end. Off, every method does
// nothing.
//
// Workers and the walk only add to counters; one goroutine draws, and
// anything else written to the terminal goes through pause, so a frame is
// never drawn in the middle of a line of the report or a notice.
type progress struct {
	on               bool
	mu               sync.Mutex // the terminal
	bar              *progressbar.ProgressBar
	total, done      atomic.Int64 // bytes
	files, filesDone atomic.Int64
	walked           atomic.Bool // the walk has found every file
	stop, stopped    chan struct{}
}

// progressInterval is how often the bar is redrawn.
const progressInterval = 150 * time.Millisecond

func newProgress(w io.Writer, on bool) *progress {
	p := &progress{on: on}
	if !on {
		return p
	}
	p.bar = progressbar.NewOptions64(1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("0/0 files"),
	)
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// found counts a file the walk found, of size bytes.
func (p *progress) found(size int64) {
	if p.on {
		p.files.Add(1)
		p.total.Add(size)
	}
}

// walkDone says the walk has found every file: the total is final.
func (p *progress) walkDone() {
	if p.on {
		p.walked.Store(true)
	}
}

// read counts bytes read and traced.
func (p *progress) read(n int64) {
	if p.on && n > 0 {
		p.done.Add(n)
	}
}

// fileDone counts a file finished.
func (p *progress) fileDone() {
	if p.on {
		p.filesDone.Add(1)
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, done := p.total.Load(), p.done.Load()
	if !p.walked.Load() || p.filesDone.Load() < p.files.Load() {
		// The bar ends for good when it reaches its maximum: keep it
		// short of that while the total may grow and while files remain
		// (a fifo or an empty file adds no bytes).
		total++
	}
	total = max(total, 1)
	done = min(done, total)
	p.bar.Describe(fmt.Sprintf("%d/%d files", p.filesDone.Load(), p.files.Load()))
	p.bar.ChangeMax64(total)
	p.bar.Set64(done)
}

// pause runs write with the bar cleared from the terminal; it is drawn
// again at the next tick.
func (p *progress) pause(write func()) {
	if !p.on {
		write()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Clear()
	write()
}

// finish stops drawing and clears the bar.
func (p *progress) finish() {
	if !p.on {
		return
	}
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Clear()
	p.bar.Exit()
}
