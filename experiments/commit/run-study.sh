#!/usr/bin/env bash
# The CoMMIT study of the README: the five balance schedulers on an image task and an audio task of mini-CoIN,
# seeds 1-3, encoder, connector and LLM all trained from random initialisation; then one table per modality with
# final loss, steps to reach the constant-LR run's final loss, and accuracy. Usage: bash experiments/commit/run-study.sh
# (SEEDS="1 2" and MODALITIES=image choose a subset.)
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/Coin.Host -v q --nologo > /dev/null
coin="dotnet artifacts/coin/Debug/coin.dll"
seeds="${SEEDS:-1 2 3}"
for modality in ${MODALITIES:-image audio}; do
  out="$PWD/runs/commit-study/$modality"
  for seed in $seeds; do
    for balance in constant feature-decay language-decay commit-lr commit; do
      $coin run "experiments/commit/$modality.json" --seed "$seed" --set "balance.type=$balance" --set "name=$balance" --output "$out" | tail -n 1
    done
  done
  $coin compare "$out"/* --loss-reference constant --plot "$out.png"
done
