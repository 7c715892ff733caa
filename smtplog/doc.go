// Package smtplog reads mail servers' logs into SMTP sessions: who
// connected (address, port, the reverse DNS name logged), the HELO as
// typed and whether the server verified it, the envelope, the commands and
// replies when the log records them, the queue ids and message ids of the
// messages handed over, the rejections with their reasons and blocklists,
// and anomalies a well-behaved client does not show.
//
// [NewReader] reads a log as a stream; [Reader.Next] returns each session
// once it is finished. [Open] opens a file, compressed (gzip) or not, and
// [OpenFiles] a list of rotated files, oldest first. [Correlate] checks
// parsed Received hops (package received) against the sessions of the
// server that wrote them.
//
// # Formats
//
// One log may mix formats; each line is read on its own.
//
//   - Postfix (smtpd, postscreen, cleanup, qmgr, the delivery agents,
//     pickup), through syslog or postlogd's maillog_file.
//   - Postfix session transcripts, the "In:"/"Out:" dialogue of the notice
//     Postfix sends the postmaster about a client's protocol errors, also
//     when a copy has lost its line ends.
//   - Exim's mainlog, written by Exim or through syslog.
//   - sendmail through syslog.
//   - The Stalker Internet Mail Server (CommuniGate Pro) log.
//
// What each line means was taken from the servers' documentation (Postfix's
// postscreen(8) and smtpd(8) manuals and POSTSCREEN_README, the Exim
// specification's chapter on log files, the sendmail book's chapter on
// logging) and, for Postfix, from a real Postfix 3.7's log; the Stalker
// format from the server logs published with this project's seeds.
//
// Time stamps: RFC 3164 syslog ("Mar 12 09:14:31", also with a year
// before the month or after the day), RFC 5424 (with or without "<PRI>"),
// RFC 3339 prefixes (rsyslog's high-precision format), Exim's
// "2024-03-12 09:14:31[.123] [+0100]" and Stalker's time of day. A stamp
// without a year takes [Config.Year], advanced when the months wrap; one
// without a date takes [Config.Date]; one without an offset is read in
// [Config.Location]. [Session.Clock] says which.
//
// # Grouping
//
// Lines of connections that overlap are grouped by the name the log gives
// each connection: the smtpd or sendmail process id, postscreen's client
// address and port, Stalker's line number, Exim's client address (Exim
// does not name its receiving process; two connections from one address
// at the same time are read as one). Queue ids tie the lines of other
// processes (cleanup, qmgr, the delivery agents) to the session. A session
// is returned when its connection has ended and its messages have left the
// queue, or when it has been quiet for [Config.Timeout] in log time, which
// bounds the memory a reader holds whatever the log's size ([Config.MaxOpen]
// caps the sessions held at once).
//
// Lines are not copied: the strings of a session point into the 64 KiB
// blocks the input was read in, and a block is freed when no session
// returned from it is kept. A caller that keeps a few sessions of a long
// log and drops the rest may copy them (strings.Clone) to free the
// blocks.
//
// # Leniency
//
// A line the reader does not understand is never dropped silently: a line
// of a known session goes to [Session.Unparsed], any other to
// [Stats.UnknownSample] (the first [Config.MaxUnknown]), and all are
// counted in [Stats.Unknown]. Informational lines of a session (TLS
// established, lost connection) go to [Session.Notes]. Lines are cut at
// [Config.MaxLineBytes]; each list of a session is capped at
// [Config.MaxLines], what is past it counted in [Session.Dropped].
//
// # Concurrency
//
// A Reader is not safe for concurrent use. [Correlate] and the types are
// safe to share once read.
package smtplog
