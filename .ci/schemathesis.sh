#!/usr/bin/env bash
# API fuzzing: schemathesis (PyPI) against docs/openapi.yaml and a `vectorfab serve` on
# loopback, once signed in as each of a supervisor, a QA officer and an operator. Bounded:
# EXAMPLES per operation (default 25) and SECONDS per role (default 120). Checks: no 5xx, every
# status documented, every body the documented content type and schema.
#   .ci/schemathesis.sh [EXAMPLES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-25}
seconds=${2:-120}
command -v schemathesis >/dev/null || python3 -m pip install --quiet schemathesis
swift build --product vectorfab
bin=$(swift build --show-bin-path)/vectorfab
dir=$(mktemp -d)
port=18181
export VECTORFAB_DATABASE=$dir/api.sqlite
pw='schemathesis-pass-1'
VECTORFAB_PASSWORD=$pw "$bin" admin bootstrap --username admin --full-name "Ada Admin" >/dev/null
for u in sam:supervisor alex:qa olga:operator; do
  VECTORFAB_ADMIN_PASSWORD=$pw VECTORFAB_PASSWORD=$pw "$bin" admin create-user --admin admin \
    --username "${u%%:*}" --full-name "${u%%:*}" --role "${u##*:}" >/dev/null
done
"$bin" serve --host 127.0.0.1 --port $port >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
# Sign everyone in first: a run may lock an account with failed sign-ins, as it should.
declare -A tokens
for user in sam alex olga; do
  tokens[$user]=$(curl -sf -X POST "http://127.0.0.1:$port/api/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"$pw\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
done
status=0
for user in sam alex olga; do
  token=${tokens[$user]}
  echo "== schemathesis as $user: $examples examples an operation, at most $seconds s"
  # Logging out would end the session the run uses; the tests cover it.
  run() {
    schemathesis run docs/openapi.yaml --url "http://127.0.0.1:$port" -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --max-examples "$examples" --max-time "$seconds" --exclude-path /api/logout --workers 2 \
      --seed 42 --no-color 2>&1 | tee "$dir/run.log"
    return "${PIPESTATUS[0]}"
  }
  if ! run; then
    # An error inside schemathesis or Hypothesis (CPython 3.11's "AST constructor recursion
    # depth mismatch" was seen once) is not a finding about the API: run once more. A failed
    # check (a FAILURES section) fails at once.
    if grep -q "^=* ERRORS =*$" "$dir/run.log" && ! grep -q "^=* FAILURES =*$" "$dir/run.log"; then
      echo "== schemathesis itself failed (no check failed): running again as $user"
      run || status=1
    else
      status=1
    fi
  fi
done
if grep -q "request failed" "$dir/server.log"; then
  echo "the server logged failures:"; grep "request failed" "$dir/server.log" | head -20; status=1
fi
exit $status
