#!/usr/bin/env bash
# Runs fuzz targets one after another for a number of executions each and prints a row of
# fuzz/README.md's table per target: executions, wall time, result. Needs a FIXAR_FUZZ build
# (scripts/sanitize makes one). New inputs go to BUILD/fuzz/runs/<target>/corpus, crash
# reproducers to BUILD/fuzz/runs/<target>/, logs to BUILD/fuzz/runs/<target>.log.
# Usage: fuzz/run.sh [-n RUNS] [-t SECONDS] [-b BUILD] [TARGET...]
#   defaults: 1000000 executions, no time limit (-t: stop a target earlier), build/sanitize, all
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1000000
seconds=0
build=build/sanitize
while getopts "n:t:b:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    t) seconds=$OPTARG ;;
    b) build=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if ((${#targets[@]} == 0)); then
  for d in fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
status=0
for t in "${targets[@]}"; do
  out=$build/fuzz/runs/$t
  mkdir -p "$out/corpus"
  start=$(date +%s)
  rc=0
  "$build/fuzz/fuzz_$t" -runs="$runs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus" "fuzz/corpus/$t" >"$out.log" 2>&1 || rc=$?
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out.log" | tail -1 | cut -d' ' -f2)
  if ((rc == 0)); then result=clean; else result="FAILED (rc $rc, see $out.log)"; status=1; fi
  printf '| %s | %s | %s s | %s | %s |\n' "$t" "${execs:-?}" "$secs" "${cov:-?}" "$result"
done
exit $status
