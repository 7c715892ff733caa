package smtplog_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/spamtrace/spamtrace/received"
	"github.com/spamtrace/spamtrace/smtplog"
)

func Example() {
	log := `Mar 12 09:14:30 mx.example.org postfix/smtpd[101]: connect from mail.example.net[192.0.2.10]
Mar 12 09:14:31 mx.example.org postfix/smtpd[101]: 4F2A3B1C2D: client=mail.example.net[192.0.2.10]
Mar 12 09:14:31 mx.example.org postfix/cleanup[103]: 4F2A3B1C2D: message-id=<m1@example.net>
Mar 12 09:14:32 mx.example.org postfix/qmgr[104]: 4F2A3B1C2D: from=<alice@example.net>, size=999, nrcpt=1 (queue active)
Mar 12 09:14:32 mx.example.org postfix/smtpd[101]: disconnect from mail.example.net[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
Mar 12 09:14:33 mx.example.org postfix/local[105]: 4F2A3B1C2D: to=<bob@example.org>, relay=local, delay=1, dsn=2.0.0, status=sent (delivered to mailbox)
Mar 12 09:14:33 mx.example.org postfix/qmgr[104]: 4F2A3B1C2D: removed
`
	r := smtplog.NewReader(strings.NewReader(log), &smtplog.Config{Year: 2024})
	var sessions []*smtplog.Session
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		m := s.Messages[0]
		fmt.Println(s.Client, s.ClientName, m.QueueID, m.MessageID, m.From, m.To, m.Size, m.Status)
		sessions = append(sessions, s)
	}

	hop, _ := received.Parse("from mail.example.net (mail.example.net [192.0.2.99]) by mx.example.org (Postfix) with ESMTP id 4F2A3B1C2D; Tue, 12 Mar 2024 09:14:31 +0000")
	for _, v := range smtplog.Correlate([]received.Hop{hop}, smtplog.NewIndex(sessions)) {
		fmt.Println("contradicts:", v.Contradicts())
		for _, c := range v.Checks {
			fmt.Printf("  %s: header %s, log %s, agree %v\n", c.Field, c.Hop, c.Log, c.Agree)
		}
	}
	// Output:
	// 192.0.2.10 mail.example.net 4F2A3B1C2D <m1@example.net> alice@example.net [bob@example.org] 999 sent
	// contradicts: true
	//   ip: header 192.0.2.99, log 192.0.2.10, agree false
	//   queue-id: header 4F2A3B1C2D, log 4F2A3B1C2D, agree true
}
