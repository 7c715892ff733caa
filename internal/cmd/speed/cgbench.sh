#!/bin/bash
# cgbench.sh A.test BENCH CORPUS: instructions per op of benchmark BENCH under callgrind, GC off.
set -u
T=$1 B=$2 C=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() {
	GOGC=off GODEBUG=asyncpreemptoff=1 SPAMTRACE_CORPUS=$C valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/$1.out" "$T" -test.run '^$' -test.bench "$B" -test.cpu 1 \
		-test.benchtime "${1}x" >/dev/null 2>"$tmp/$1.err"
	grep -o 'Collected : [0-9]*' "$tmp/$1.err" | awk '{print $3}'
}
a=$(ir 3000)
b=$(ir 12000)
echo "$(basename "$T") $B: $(((b - a) / 9000)) instructions an op"
