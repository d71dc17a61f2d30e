#!/usr/bin/env bash
# Sobol indices against SALib (PyPI): Tests/salib/compare.py runs SALib's Saltelli sampling and
# sobol.analyze on the NumPy peer's model (../shared/peers/lot_cost_montecarlo.py, or
# $VECTORFAB_PEERS) and `vectorfab uncertainty --format json` on the same model written as
# Examples/peer-aav-2000L-montecarlo.yaml, and fails unless every first-order and total index
# agrees within the combined confidence intervals; then checks that a perturbed copy of the
# model is told apart (a negative control).
#   .ci/salib.sh [SALIB_SAMPLES]   (a power of 2; default 16384)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import SALib, scipy, numpy' 2>/dev/null || python3 -m pip install --quiet SALib
swift build --product vectorfab
bin=$(swift build --show-bin-path)/vectorfab
python3 Tests/salib/compare.py --vectorfab "$bin" --samples "${1:-16384}" --negative-control
