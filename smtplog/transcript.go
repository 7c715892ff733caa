package smtplog

import (
	"strconv"
	"strings"
	"time"
)

// A Postfix session transcript, the body of the notice Postfix sends the
// postmaster about a client's protocol errors (notify_classes = protocol):
//
//	Transcript of session follows.
//
//	 Out: 220 mx.example.org ESMTP Postfix
//	 In:  POST / HTTP/1.0
//	 Out: 502 5.5.2 Error: command not recognized
//
// The notice's subject names the client ("errors from NAME[IP]"). Copies
// pasted into web pages often lose their line ends, so one line may hold
// several "In:" and "Out:" parts; they are split where "In:" or "Out:"
// starts a word (or follows a colon, where an address in angle brackets
// was lost).

// transcript reads one line of In:/Out: parts.
func (r *Reader) transcript(line string) {
	for _, p := range splitTranscript(line) {
		sess := r.tr
		if sess == nil || !p.in && strings.HasPrefix(p.text, "220 ") && (len(sess.Commands) > 0 || sess.Banner != "") {
			r.endTranscript()
			r.trSeq++
			k := key{proc: "transcript", id: strconv.Itoa(r.trSeq)}
			// a transcript has no time stamps
			sess = r.newSession(k, FormatTranscript, time.Time{}, ClockZoned)
			sess.ID = "transcript-" + k.id
			if r.trFrom != "" {
				if name, ip, port, _, ok := clientOf(r.trFrom); ok {
					setClient(sess, name, ip, port)
				}
				r.trFrom = ""
			}
			r.tr = sess
		}
		if p.in {
			r.command(sess, p.text, time.Time{})
		} else {
			r.reply(sess, p.text, time.Time{})
		}
	}
	if r.tr != nil {
		r.stats.Session++
		r.tr.Lines++
	}
}

func (r *Reader) endTranscript() {
	if s := r.tr; s != nil {
		r.tr = nil
		r.closeConn(s)
		r.maybeDone(s)
	}
}

type transcriptPart struct {
	in   bool
	text string
}

func splitTranscript(s string) []transcriptPart {
	var parts []transcriptPart
	start, in := -1, false
	for i := 0; i < len(s); i++ {
		var isIn bool
		n := 0
		switch {
		case strings.HasPrefix(s[i:], "In:"):
			isIn, n = true, 3
		case strings.HasPrefix(s[i:], "Out:"):
			n = 4
		default:
			continue
		}
		if i > 0 && s[i-1] != ' ' && s[i-1] != ':' && s[i-1] != '\t' {
			continue
		}
		if i+n < len(s) && s[i+n] != ' ' && s[i+n] != '\t' {
			continue
		}
		if start >= 0 {
			parts = append(parts, transcriptPart{in, strings.TrimSpace(s[start:i])})
		}
		start, in = i+n, isIn
		i += n - 1
	}
	if start >= 0 {
		parts = append(parts, transcriptPart{in, strings.TrimSpace(s[start:])})
	}
	return parts
}
