#!/usr/bin/env bash
# The single-task table of the README: each mini-CoIN task trained alone from the base model (continual type
# "independent"), seeds 1-3. The diagonal of each run's accuracy matrix (accuracy-matrix.csv, report.md) is the
# accuracy of a model trained on that task alone; `coin compare` prints its mean as plasticity.
# Usage: bash experiments/single-task.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Coin.Host -v q --nologo > /dev/null
coin="dotnet artifacts/coin/Debug/coin.dll"
for seed in ${SEEDS:-1 2 3}; do
  $coin run --seed "$seed" --set continual.type=independent --set name=independent --set evaluation.zeroShot=false \
    --output runs/single-task | tail -n 1
done
$coin compare runs/single-task/* --plot runs/single-task.png
