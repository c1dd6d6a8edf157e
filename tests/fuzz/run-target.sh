#!/usr/bin/env bash
# Runs one fuzz target (made by `make fuzz-build`): replays its seed corpus
# tests/fuzz/corpus/<t>/ and its crash reproducers tests/fuzz/regressions/<t>/ (one pass per
# input, each must neither crash, leak, hang nor hit UB), then fuzzes it for FUZZ_SECONDS
# (default 20) under ASan/UBSan (one more pass when libFuzzer finds nothing). Prints
# "fuzz_<t>: N passed, N failed" last, as scripts/run-tests.sh expects.
# New inputs go to a temporary corpus (removed afterwards), never into the tree; a crash leaves
# its reproducer in build-fuzz/artifacts/<t>/ (copy it into tests/fuzz/regressions/<t>/ with
# the fix). Environment: FUZZ_BUILD (default build-fuzz), FUZZ_SECONDS. One process: the
# machines it runs on are small.
set -u
t=${1:?usage: run-target.sh TARGET}
build=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-20}
fuzzer=$build/fuzz/fuzz_$t
replay=$build/fuzz/replay_$t
passed=0; failed=0
for b in "$fuzzer" "$replay"; do
  [ -x "$b" ] || { echo "$b: missing (run make fuzz-build)" >&2; echo "fuzz_$t: 0 passed, 1 failed"; exit 1; }
done

# 1. replay: every seed and every kept reproducer
inputs=()
for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do [ -d "$d" ] && inputs+=("$d"); done
if [ ${#inputs[@]} -eq 0 ]; then
  echo "FAIL fuzz_$t: no seed corpus in tests/fuzz/corpus/$t"; failed=$((failed + 1))
else
  out=$("$replay" "${inputs[@]}")
  printf '%s\n' "$out" | grep '^FAIL' || true
  line=$(printf '%s\n' "$out" | grep -E "^replay_$t: [0-9]+ passed, [0-9]+ failed" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL replay_$t: no summary"; failed=$((failed + 1))
  else
    p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/' <<<"$line")
    f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f))
  fi
fi

# 2. fuzz for a bounded time. Extra seeds read at run time (never copied into the tree): the
# upstream dcos-commons example specs for the spec target, when ../shared is there.
extra=()
if [ "$t" = spec ] && [ -d ../shared/examples/dcos-commons ]; then extra+=(../shared/examples/dcos-commons); fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_$t.XXXXXX")
art=$build/artifacts/$t
mkdir -p "$art"
log=$build/artifacts/$t.log
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$art/" \
  "$work" "${inputs[@]}" "${extra[@]}" >"$log" 2>&1
rc=$?
rm -rf "$work"
stats=$(grep -E '^stat::(number_of_executed_units|new_units_added):' "$log" | sed 's/^stat:://' | tr '\n' ' ')
if [ $rc -eq 0 ]; then
  passed=$((passed + 1))
  echo "fuzzed $t for ${secs}s: $stats"
else
  failed=$((failed + 1))
  echo "FAIL fuzz_$t: libFuzzer exit $rc after ${secs}s at most; log $log, reproducer in $art/:"
  grep -E 'ERROR|SUMMARY|runtime error|Test unit written|fuzz_'"$t"':' "$log" | head -n 20 | sed 's/^/  /'
fi
echo "fuzz_$t: $passed passed, $failed failed"
[ $failed -eq 0 ]
