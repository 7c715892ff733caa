#!/bin/bash
# benchpairs.sh N CORPUS A.test B.test ...: BenchmarkTraceMessage of each binary in turn, N rounds.
set -u
N=$1 CORPUS=$2; shift 2
for i in $(seq "$N"); do
	for t in "$@"; do
		printf '%s ' "$(basename "$t")"
		SPAMTRACE_CORPUS=$CORPUS "$t" -test.run '^$' -test.bench 'TraceMessage$' -test.benchmem -test.cpu 1 -test.benchtime 2s | grep Benchmark
	done
done
