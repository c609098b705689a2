#!/usr/bin/env bash
# The whole test suite: static checks, pgTAP against a throwaway Postgres, then the Deno tests.
# Prints one closing line "tests: N passed, N failed" that sums both runners.
set -uo pipefail
cd "$(dirname "$0")/.."
deno=node_modules/.bin/deno
if [ ! -x "$deno" ]; then
  echo "node_modules/.bin/deno is missing: run 'npm ci' first" >&2
  exit 2
fi
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
status=0

echo "== deno fmt --check, lint, check, import cycles, shipped bundles match the sources"
"$deno" fmt --check || status=1
"$deno" lint || status=1
"$deno" task check || status=1
"$deno" task check:cycles || status=1
"$deno" task check:artifacts || status=1

echo "== generated database types match the migrations"
"$deno" task check:types || status=1

echo "== pgTAP (pg_prove)"
"$deno" task test:db 2>&1 | tee "$log_dir/pgtap.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== Deno tests"
"$deno" test -A --parallel tests/ 2>&1 | tee "$log_dir/deno.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# The function suites again on a project without legacy keys (the scheduler, demo and auth matrix files run both
# modes themselves).
echo "== Deno tests, new keys only (STACK_KEY_MODE=new-only)"
STACK_KEY_MODE=new-only "$deno" test -A --parallel \
  tests/e2e/balance_sync_test.ts tests/e2e/latency_sample_test.ts tests/e2e/trade_burst_test.ts 2>&1 |
  tee "$log_dir/deno-new-keys.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

pg_total=$(grep -oE 'Tests=[0-9]+' "$log_dir/pgtap.log" | tail -1 | cut -d= -f2)
pg_failed=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$log_dir/pgtap.log" | awk '{split($2,a,"/"); s+=a[1]} END {print s+0}')
deno_passed=$(grep -oE '[0-9]+ passed' "$log_dir/deno.log" | tail -1 | grep -oE '[0-9]+')
deno_failed=$(grep -oE '[0-9]+ failed' "$log_dir/deno.log" | tail -1 | grep -oE '[0-9]+')
new_passed=$(grep -oE '[0-9]+ passed' "$log_dir/deno-new-keys.log" | tail -1 | grep -oE '[0-9]+')
new_failed=$(grep -oE '[0-9]+ failed' "$log_dir/deno-new-keys.log" | tail -1 | grep -oE '[0-9]+')
pg_total=${pg_total:-0}; deno_passed=${deno_passed:-0}; deno_failed=${deno_failed:-0}
deno_passed=$((deno_passed + ${new_passed:-0})); deno_failed=$((deno_failed + ${new_failed:-0}))
pg_passed=$((pg_total - pg_failed))
echo "pgTAP: ${pg_passed} passed, ${pg_failed} failed; Deno: ${deno_passed} passed, ${deno_failed} failed"
if [ "$status" -ne 0 ] && [ $((pg_failed + deno_failed)) -eq 0 ]; then
  # A step failed without a failing test (lint, check, a runner crash): count it so the line cannot read green.
  deno_failed=1
fi
echo "tests: $((pg_passed + deno_passed)) passed, $((pg_failed + deno_failed)) failed"
exit "$status"
