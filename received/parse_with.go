package received

import (
	"github.com/spamtrace/spamtrace/internal/ascii"
)

// The with, id and for clauses (via is read by words in parse.go).

func (p *parser) withClause(toks []token) {
	h := &p.hop
	start, end := -1, -1
	sawComment := false
	for i, t := range toks {
		switch t.kind {
		case tokComment:
			sawComment = true
			p.comment(t.text, clWith)
		case tokWord:
			if sawComment {
				// Exim 4.9x: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384"
				if ascii.EqualFold(t.text, "tls") && i+1 < len(toks) && toks[i+1].kind == tokWord {
					h.TLS.Cipher = toks[i+1].text
				}
				continue
			}
			if start < 0 {
				start = t.start
			}
			end = t.end
		default:
			if !sawComment && start >= 0 {
				end = t.end
			}
		}
	}
	if start >= 0 {
		h.With = p.s[start:end]
	}
	h.Protocol, p.withPlain = classifyWith(h.With)
}

func (p *parser) idClause(toks []token) {
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			p.comment(t.text, clID)
		default:
			if p.hop.ID == "" {
				p.hop.ID = t.text
			}
		}
	}
}

func (p *parser) forClause(toks []token) {
	for _, t := range toks {
		switch t.kind {
		case tokComment:
			p.comment(t.text, clFor)
		case tokAngle, tokWord, tokQuoted:
			if p.hop.For == "" {
				p.hop.For = t.text
			}
		}
	}
}
