#!/usr/bin/env bash
# The long run (`npm run test:long`): the fast-check properties with many more cases than `npm test` gives them,
# and the hostile catalogue, under both runtimes; then the 100,000-request soak (scripts/soak.ts) on each runtime.
# Exit code 0 only if every part passed.
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
export KESTREL_PROPERTY_RUNS="${KESTREL_PROPERTY_RUNS:-100000}"
rc=0
echo "== properties ($KESTREL_PROPERTY_RUNS runs each) and the hostile catalogue"
"$bin/bun" test --timeout 600000 test/properties test/hostile || rc=1
"$bin/deno" test -A --quiet test/properties test/hostile || rc=1
echo "== soak"
"$bin/bun" scripts/soak.ts "$@" || rc=1
"$bin/deno" run -A scripts/soak.ts "$@" || rc=1
exit $rc
