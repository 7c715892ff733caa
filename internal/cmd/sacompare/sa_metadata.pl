#!/usr/bin/perl
# Runs SpamAssassin's own path from a raw message to its relays: for every
# message file named on standard input (one path a line; corpus JSON files
# whose "text" field is the message), Mail::SpamAssassin->parse, then
# extract_message_metadata, which parses the Received headers
# (Mail::SpamAssassin::Message::Metadata::Received) into relays_trusted and
# relays_untrusted. Prints one JSON object per message:
#   {"k": LINE_NUMBER, "relays": [{"ip", "rdns", "helo", "by", "ident",
#    "id", "envfrom", "trusted", "internal"}, ...]}
# relays listed topmost (newest) first, and on standard error the time spent
# in parse and extract_message_metadata only (not start-up, not I/O).
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time);
use Mail::SpamAssassin;
use Mail::SpamAssassin::PerMsgStatus;

my $json = JSON::PP->new->canonical;
my $sa = Mail::SpamAssassin->new({ local_tests_only => 1, dont_copy_prefs => 1,
  userprefs_filename => '/dev/null', debug => 0 });
$sa->init(1);
my ($n, $nrelays, $spent) = (0, 0, 0);
my $k = -1;
while (my $path = <STDIN>) {
  chomp $path;
  $k++;
  open(my $fh, '<:raw', $path) or next;
  my $raw = do { local $/; <$fh> };
  close $fh;
  my $text = eval { $json->decode($raw)->{text} };
  next unless defined $text;
  utf8::encode($text) if utf8::is_utf8($text);
  my $t0 = time;
  my $msg = $sa->parse($text, 1);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  $msg->extract_message_metadata($pms);
  $spent += time - $t0;
  my $md = $msg->{metadata};
  my %internal = map { $_ => 1 } @{ $md->{relays_internal} || [] };
  my @out;
  for my $set ([1, $md->{relays_trusted} || []], [0, $md->{relays_untrusted} || []]) {
    for my $r (@{ $set->[1] }) {
      my %o = map { $_ => (defined $r->{$_} ? "$r->{$_}" : '') } qw(ip rdns helo by ident id envfrom);
      $o{trusted} = $set->[0] ? JSON::PP::true : JSON::PP::false;
      $o{internal} = $internal{$r} ? JSON::PP::true : JSON::PP::false;
      push @out, \%o;
    }
  }
  $nrelays += @out;
  print $json->encode({ k => $k, relays => \@out }), "\n";
  $pms->finish();
  $msg->finish();
  $n++;
}
printf STDERR "spamassassin messages: %d messages, %d relays in %.3f s = %.0f messages/s\n", $n, $nrelays, $spent, $spent > 0 ? $n / $spent : 0;
