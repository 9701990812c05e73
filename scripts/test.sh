#!/usr/bin/env bash
# The whole suite: type check, then every test file under Bun and under Deno.
# Ends with one line "N passed, N failed, N skipped" totalled over both runtimes (CI reads it); exit code 0 only
# if all pass and each runner wrote a report showing it ran tests (scripts/junit-summary.mjs).
# Extra arguments are passed to both runners (e.g. a file path to run one file).
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== deno check"
"$bin/deno" check --quiet src test
check_rc=$?

echo "== bun test"
"$bin/bun" test --timeout 60000 --reporter=junit --reporter-outfile="$out/bun.xml" "$@"
bun_rc=$?

echo "== deno test"
if [ $# -eq 0 ]; then set -- test/; fi
"$bin/deno" test -A --quiet --junit-path="$out/deno.xml" "$@"
deno_rc=$?

node scripts/junit-summary.mjs "$check_rc" "bun:$bun_rc:$out/bun.xml" "deno:$deno_rc:$out/deno.xml"
