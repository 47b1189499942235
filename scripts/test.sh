#!/usr/bin/env bash
# The whole test suite: installs what it needs, type-checks, then runs every mocha test against a real
# PostgreSQL and a real Dovecot started by our own launcher code. Ends with "N passed, N failed".
# Order: type-check, lint, then mocha.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
npx tsc -p tsconfig.json --noEmit || { echo "0 passed, 1 failed"; exit 1; }
# The import boundaries and function-length limits (eslint.config.js). A lint failure counts as one failed
# check in the closing line, but the tests still run so their results are not hidden behind it.
lint_failed=0
npx eslint . || { lint_failed=1; echo "lint failed / kiểm tra lint không đạt (npm run lint)"; }

out=$(mktemp)
npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts' "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
pending=$(grep -Eo '^ +[0-9]+ pending' "$out" | grep -Eo '[0-9]+' | tail -1)
rm -f "$out"
passed=${passed:-0}
failed=${failed:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $lint_failed -ne 0 ]]; then failed=$((failed + 1)); [[ $status -eq 0 ]] && status=1; fi
echo "${passed} passed, ${failed} failed, ${pending:-0} skipped"
exit $status
