#!/usr/bin/env bash
# Builds the documentation site with DocFX (the version in dotnet-tools.json): the Markdown under docs/ and the API
# reference of Coin.Abstractions and Coin.Nn from their XML docs. Warnings (a broken link, a missing reference) fail
# the build. Usage: docs/build.sh [OUTPUT_DIR]   (default docs/_site; open index.html, or serve the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
dotnet docfx docs/docfx.json --warningsAsErrors ${1:+--output "$1"}
