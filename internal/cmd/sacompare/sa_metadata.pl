#!/usr/bin/perl
# Times SpamAssassin's own path from a message file to its parsed relays:
# Mail::SpamAssassin->parse, then extract_message_metadata (which parses
# every Received header into relays_trusted / relays_untrusted), for every
# file under the given directories. Prints the message count and the time.
use strict;
use warnings;
use File::Find;
use Time::HiRes qw(time);
use Mail::SpamAssassin;
use Mail::SpamAssassin::PerMsgStatus;

my $sa = Mail::SpamAssassin->new({ local_tests_only => 1, dont_copy_prefs => 1,
  userprefs_filename => '/dev/null', site_rules_filename => '/dev/null', debug => 0 });
$sa->init(1);
my @files;
find(sub { push @files, $File::Find::name if -f $_ }, @ARGV);
@files = sort @files;
my ($n, $relays) = (0, 0);
my $t0 = time;
for my $f (@files) {
  open(my $fh, '<', $f) or next;
  local $/;
  my $text = <$fh>;
  close $fh;
  my $msg = $sa->parse($text, 1);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  $msg->extract_message_metadata($pms);
  $relays += scalar(@{$msg->{metadata}->{relays_trusted} || []}) + scalar(@{$msg->{metadata}->{relays_untrusted} || []});
  $pms->finish();
  $msg->finish();
  $n++;
}
my $el = time - $t0;
printf "spamassassin: %d messages, %d relays, %.2f s = %.0f messages/s\n", $n, $relays, $el, $n / $el;
