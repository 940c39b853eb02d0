#!/usr/bin/env bash
# The README's paper-regime table (issue 13), across as many sittings as it takes: experiments/sweeps/keep-cells.sh
# runs every cell of experiments/sweeps/paper-methods.json (16 methods x 3 seeds, seed 1 of every method first) that
# has no kept result yet, keeps a slim copy of each under results/paper-regime/cells/<values> (committed) and writes
# results/paper-regime/comparison.{csv,png,html}; then the LLaCA cells' alpha per task goes to
# results/paper-regime/llaca-alpha.md and the LoRA bank's routing to results/paper-regime/lora-bank-routing.md.
# Usage: bash experiments/paper/run-table.sh [MAX_CELLS]     (MAX_CELLS: stop after running that many cells)
# (keep-cells.sh runs a Release build copied once to artifacts/paper-methods-coin, so that rebuilding the repository
# while the table runs does not change the program half-way through it.)
set -euo pipefail
cd "$(dirname "$0")/../.."
keep=results/paper-regime/cells
bash experiments/sweeps/keep-cells.sh experiments/sweeps/paper-methods.json "$keep" "${1:-1000}"

# LLaCA's alpha per task: the mean over steps of each step's mean, 10th/50th/90th percentile over tensors, the share
# of tensors that fell back to alpha0, the part of it where the formula came out at or above 1, and the median over
# tensors of log10 of the formula (the last two logged from llaca 0.2.2 on; "—" in cells run before).
{
  echo "| run | task | steps | mean alpha | p10 | p50 | p90 | fallback share | of it: formula ≥ 1 | median log10 formula |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for run in "$keep"/*llaca*/; do
    gunzip -c "$run"steps.csv.gz | awk -F, -v run="$(basename "$run")" '
      function mean(name) { return n[t FS name] ? sprintf("%.4f", sum[t FS name] / n[t FS name]) : "—" }
      $3 ~ /^llaca\// { sum[$1 FS $3] += $4; n[$1 FS $3]++; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
      END { for (j = 1; j <= k; j++) { t = order[j]
              printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", run, t, n[t FS "llaca/alpha"],
                mean("llaca/alpha"), mean("llaca/alpha-p10"), mean("llaca/alpha-p50"), mean("llaca/alpha-p90"),
                mean("llaca/fallback-share"), mean("llaca/fallback-above-one-share"), mean("llaca/raw-alpha-log10-p50") } }'
  done
} > results/paper-regime/llaca-alpha.md
# The LoRA bank's routing after the last task: for each task, the share of its test samples sent to its own LoRA.
bash experiments/sweeps/bank-routing.sh "$keep" > results/paper-regime/lora-bank-routing.md
