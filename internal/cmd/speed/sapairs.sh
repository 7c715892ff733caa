#!/bin/bash
# sapairs.sh N SA_LIST FILES_DIR BIN ...: SpamAssassin's parse time against each binary's -json run.
set -u
N=$1 LIST=$2 FILES=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for i in $(seq "$N"); do
	sa=$(perl "$here/../sacompare/sa_metadata.pl" <"$LIST" 2>&1 >/dev/null | grep -o 'in [0-9.]* s' | awk '{print $2}')
	line="round $i: SpamAssassin ${sa}s"
	for b in "$@"; do
		/usr/bin/time -o "$tmp" -f '%e %U %S %M' "$b" -json "$FILES" >/dev/null 2>&1
		read -r w u s m <"$tmp"
		line="$line | $(basename "$b") wall ${w}s cpu $(echo "$u + $s" | bc)s rss $((m / 1024))MB $(echo "scale=1; $sa / $w" | bc)x"
	done
	echo "$line"
done
