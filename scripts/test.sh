#!/usr/bin/env bash
# `npm test`: lint (eslint, prettier, typecheck) and the build side by side (each keeps one core
# busy), then every jest project (unit and e2e, two workers), then the compose smoke test alone,
# since a whole cluster of containers needs both cores.
set -euo pipefail
cd "$(dirname "$0")/.."

lint_log="$(mktemp)"
npm run --silent lint >"$lint_log" 2>&1 &
lint=$!
build_status=0
npm run --silent build || build_status=$?
lint_status=0
wait "$lint" || lint_status=$?
cat "$lint_log"
rm -f "$lint_log"
if [ "$lint_status" -ne 0 ] || [ "$build_status" -ne 0 ]; then
  echo "lint exited $lint_status, build exited $build_status" >&2
  exit 1
fi

# The report says how long each file took (`npm run test:durations -- <report>` records it).
report="${JEST_REPORT:-${TMPDIR:-/tmp}/cinderflow-jest-report.json}"
jest --maxWorkers=2 --json --outputFile="$report" "$@"
echo "jest's report: $report"
jest -c test/compose/jest.config.js
