#!/usr/bin/perl
# Runs SpamAssassin's own Received parser
# (Mail::SpamAssassin::Message::Metadata::Received::parse_received_line, from
# Debian's spamassassin package) on header values read from standard input,
# one JSON object per line: {"k": KEY, "v": VALUE}. Prints one JSON object per
# input line with what SpamAssassin made of it, and on standard error the
# time spent inside the parser.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time);
use Mail::SpamAssassin;
use Mail::SpamAssassin::Message::Metadata;
use Mail::SpamAssassin::Message::Metadata::Received;

my $json = JSON::PP->new->canonical;
my $md = bless { allow_mailfetch_markers => 1 }, 'Mail::SpamAssassin::Message::Metadata';
my $spent = 0;
my $n = 0;
$| = 0;
while (my $line = <STDIN>) {
  my $in = $json->decode($line);
  my $v = $in->{v};
  my $t0 = time;
  my $r = eval { $md->parse_received_line($v) };
  $spent += time - $t0;
  $n++;
  my $out = { k => $in->{k} };
  if (!defined $r) {
    $out->{status} = 'unparsed';
  } elsif (!ref $r) {
    $out->{status} = 'ignored';
  } else {
    $out->{status} = 'relay';
    for my $f (qw(ip rdns helo by ident id envfrom)) {
      $out->{$f} = defined $r->{$f} ? $r->{$f} : '';
    }
  }
  print $json->encode($out), "\n";
}
printf STDERR "spamassassin: %d headers in %.3f s = %.0f headers/s\n", $n, $spent, $spent > 0 ? $n / $spent : 0;
