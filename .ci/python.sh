#!/usr/bin/env bash
# Debian's python3-jsonschema and python3-json5 for the test that validates the shipped experiment files (JSONC) with
# a validator from outside Coin (experiments/validate.py). Installed when missing; without them that test is skipped
# and the summary says so. Needs root (as CI and the development machines have).
set -uo pipefail
/usr/bin/python3 -c "import jsonschema, json5" 2> /dev/null && exit 0
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-jsonschema python3-json5) \
  > /tmp/coin-python-install.log 2>&1 || { echo "python3-jsonschema/json5: install failed (see /tmp/coin-python-install.log)"; exit 1; }
