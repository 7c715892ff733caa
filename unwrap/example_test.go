package unwrap_test

import (
	"fmt"

	"github.com/spamtrace/spamtrace/unwrap"
)

func ExampleMessages() {
	raw := "From: colleague@example.org\r\nSubject: Fwd: spam\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nSee the attached spam.\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Received: from spammer.example ([203.0.113.9]) by mx.example.org; Tue, 12 Mar 2024 09:14:31 +0000\r\n" +
		"Subject: win\r\n\r\nhttp://win.example/\r\n" +
		"--b--\r\n"
	for _, m := range unwrap.Messages([]byte(raw), nil) {
		fmt.Printf("part %q carries %v, text parts:", m.Part, m.Attached)
		for _, t := range m.Text {
			fmt.Printf(" %s=%q", t.Part, t.Body)
		}
		fmt.Println()
	}
	// Output:
	// part "" carries [2], text parts: 1="See the attached spam."
	// part "2" carries [], text parts: 2.1="http://win.example/"
}
