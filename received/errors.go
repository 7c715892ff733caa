package received

import "strings"

// Clause names the part of a Received header a [ParseError] is about. It is
// string-backed: the names are the clause keywords of RFC 5321 section 4.4,
// plus "date" for the text after the last ';'.
type Clause string

// Clauses. ClauseNone is a problem with the header as a whole or with text
// before its first clause.
const (
	ClauseNone Clause = ""
	ClauseFrom Clause = "from"
	ClauseBy   Clause = "by"
	ClauseVia  Clause = "via"
	ClauseWith Clause = "with"
	ClauseID   Clause = "id"
	ClauseFor  Clause = "for"
	ClauseDate Clause = "date"
)

// clauseNames maps the parser's clauses to their exported names.
var clauseNames = [...]Clause{
	clNone: ClauseNone, clFrom: ClauseFrom, clBy: ClauseBy, clVia: ClauseVia,
	clWith: ClauseWith, clID: ClauseID, clFor: ClauseFor, clDate: ClauseDate,
}

// ParseError is one problem [Parse] found in a Received field value. The
// hop Parse returns beside it still holds everything else it read.
//
// When Parse finds several problems (it names at most 4), its error wraps
// one *ParseError for each, in the order found: [errors.As] finds the first,
// and the error's Unwrap() []error method lists them all. Its Error joins
// their reasons with "; " after one "received: ".
type ParseError struct {
	// Offset is the byte offset in the value given to Parse where the
	// problem is: the opening delimiter of an unterminated comment, the
	// first byte of leading junk or of an unreadable date, the end of the
	// last token read when the token cap was reached; 0 for a problem with
	// the value as a whole.
	Offset int
	// Clause is the clause holding Offset; ClauseNone before the first
	// clause or for the value as a whole.
	Clause Clause
	// Reason says what is wrong, e.g. "unterminated comment, literal or
	// quoted string" or `date "yesterday": date has no day, month, year or
	// time of day`.
	Reason string
	// Err is the underlying error, a *DateError for an unreadable date;
	// nil when there is none.
	Err error
}

// Error returns "received: " followed by the reason.
func (e *ParseError) Error() string { return "received: " + e.Reason }

// Unwrap returns e.Err.
func (e *ParseError) Unwrap() error { return e.Err }

// parseErrors is Parse's error when it found more than one problem.
type parseErrors []*ParseError

func (es parseErrors) Error() string {
	var b strings.Builder
	b.WriteString("received: ")
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Reason)
	}
	return b.String()
}

func (es parseErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// DateError is the error [ParseDate] returns.
type DateError struct {
	// Date is the text ParseDate read: the text given, cut to the 256
	// bytes ParseDate looks at.
	Date string
	// Reason is what is wrong: "empty date" (nothing but white space,
	// commas and comments), "date has no day, month, year or time of day",
	// "date has no day, month and year", "date has no time of day" or
	// "date field out of range".
	Reason string
}

// Error returns "received: " followed by the reason.
func (e *DateError) Error() string { return "received: " + e.Reason }
