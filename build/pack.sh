#!/usr/bin/env bash
# Packs what a plugin author builds against into a local feed: Coin.Abstractions (the contracts), Coin.Nn (the
# building blocks) and Coin.Templates (dotnet new coin-plugin).
# Usage: bash build/pack.sh FEED_DIR [-p:CoinRelease=true]
# Packs from a clone are prereleases numbered by commit, CONTRACT.0-dev.N with N = `git rev-list --count HEAD`
# (Directory.Build.targets), so that a pack after a new commit never meets an older build of the same version in a
# NuGet cache. -p:CoinRelease=true packs the plain CONTRACT.0.
set -euo pipefail
feed=${1:?usage: bash build/pack.sh FEED_DIR [-p:CoinRelease=true]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$feed"
for project in src/Coin.Abstractions/Coin.Abstractions.csproj src/Coin.Nn/Coin.Nn.csproj templates/Coin.Templates.csproj; do
  dotnet pack "$root/$project" -c Release -o "$feed" --nologo -v quiet "$@"
done
template=$(ls -t "$feed"/Coin.Templates.*.nupkg | head -1)
echo "packed into $feed:"
ls -t "$feed" | head -3 | sed 's/^/  /'
echo "install the template with: dotnet new install $template"
