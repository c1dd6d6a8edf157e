#!/usr/bin/env bash
# Runs every test binary given on the command line, adds up their "name: N passed, N failed"
# lines and prints the total as the last line. Exits non-zero if any test failed or crashed.
# Environment: BUILD (object dir, for fixtures), BIN (binaries), TEST_TIMEOUT (seconds per binary).
set -u
total_pass=0; total_fail=0; crashed=()
export SDK_BUILD_DIR="${BUILD:-build}" SDK_BIN_DIR="${BIN:-bin}"
for t in "$@"; do
  start=$SECONDS
  out=$(timeout "${TEST_TIMEOUT:-300}" "$t" 2> >(sed "s|^|  [$(basename "$t")] |" >&2))
  rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
  if [ -z "$line" ]; then
    echo "$(basename "$t"): no summary (exit $rc)"; crashed+=("$(basename "$t")"); continue
  fi
  echo "$line ($((SECONDS - start)) s)"
  p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then crashed+=("$(basename "$t") (exit $rc)"); fi
done
if [ ${#crashed[@]} -gt 0 ]; then
  echo "crashed or incomplete: ${crashed[*]}"
  total_fail=$((total_fail + ${#crashed[@]}))
fi
echo
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
