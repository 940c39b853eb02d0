#!/usr/bin/env bash
# The methods table of the README: every continual method on the default mini-CoIN stream, seeds 1-3, then one
# comparison table (mean ± std). Each seed trains its base model once (cached under data/base-models).
# Usage: bash experiments/mini-coin-methods.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Coin.Host -v q --nologo > /dev/null
coin="dotnet artifacts/coin/Debug/coin.dll"
for seed in ${SEEDS:-1 2 3}; do
  for method in sequential ema llaca ewc replay lwf moelora; do
    if [ "$method" = moelora ]; then choice="model.adapter.type=moelora"; else choice="continual.type=$method"; fi
    $coin run --seed "$seed" --set "$choice" --set "name=$method" --output runs/mini-coin-methods | tail -n 1
  done
done
$coin compare runs/mini-coin-methods/* --plot runs/mini-coin-methods.png
