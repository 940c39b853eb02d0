#!/usr/bin/env bash
# Debian's chromium for the report.html test (HtmlReportTests renders the page headless and reads its DOM). Installed
# when missing; without it that test is skipped and the summary says so. Needs root (as CI and the development
# machines have).
set -uo pipefail
command -v chromium > /dev/null && exit 0
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) > /tmp/coin-chromium-install.log 2>&1 \
  || { echo "chromium: install failed (see /tmp/coin-chromium-install.log)"; exit 1; }
