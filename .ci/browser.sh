#!/usr/bin/env bash
# The end-to-end test in headless Chromium: installs Debian's chromium and chromium-driver and
# Selenium, openpyxl, zxing-cpp and Pillow (PyPI) if needed, serves a demo site on loopback and runs
# Tests/Browser/e2e.py, then Tests/Browser/workbooks.py (every Excel download against its CSV), then
# Tests/Browser/gmp.py (a batch executed, tested, investigated and released, then a material
# recalled; screenshots in $VECTORFAB_SHOTS or a temporary folder) and
# Tests/Browser/print_record.py (the batch record printed to PDF and its pages checked).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v pdftoppm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null) >&2
fi
python3 -c 'import selenium, openpyxl, zxingcpp, PIL' 2>/dev/null || python3 -m pip install --quiet selenium openpyxl zxing-cpp pillow
swift build --product vectorfab
bin=$(swift build --show-bin-path)/vectorfab
dir=$(mktemp -d)
port=18282
"$bin" serve --demo --database "$dir/demo.sqlite" --host 127.0.0.1 --port $port >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
password=$(sed -n 's/.*  qa: alex \/ //p' "$dir/server.log")
[ -n "$password" ] || { echo "the demo site printed no password for alex"; cat "$dir/server.log"; exit 1; }
engineer=$(sed -n 's/.*  engineer: eve \/ //p' "$dir/server.log")
python3 Tests/Browser/e2e.py "http://127.0.0.1:$port" alex "$password" eve "$engineer"
python3 Tests/Browser/workbooks.py "http://127.0.0.1:$port" alex "$password"
shots=${VECTORFAB_SHOTS:-$dir/shots}
python3 Tests/Browser/gmp.py "http://127.0.0.1:$port" "$dir/server.log" "$shots"
batch=B-2026-0002  # the demo's second batch: released, with a deviation closed
python3 Tests/Browser/print_record.py "http://127.0.0.1:$port" alex "$password" "$batch" "$dir/record.pdf"
