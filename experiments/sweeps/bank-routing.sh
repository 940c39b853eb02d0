#!/usr/bin/env bash
# The LoRA bank's routing after the last task, from kept cells (keep-cells.sh keeps each run's lora-bank-routing/):
# for each run and task, the share of the task's test samples sent to its own task's LoRA, as a Markdown table.
# Usage: bash experiments/sweeps/bank-routing.sh KEEP > table.md     (KEEP: a folder of kept cells)
set -euo pipefail
keep=$1
echo "| run | task | samples | routed to its own task's LoRA |"
echo "|---|---|---:|---:|"
for run in "$keep"/*lora-bank*/; do
  # (a run kept before the bank logged its routing has none: pipefail would stop the script here)
  last=$(ls "$run"lora-bank-routing/after-*.csv 2>/dev/null | sort | tail -1 || true)
  [ -n "$last" ] || continue
  awk -F, -v run="$(basename "$run")" 'NR > 1 { n[$1] += $3; if ($1 == $2) own[$1] += $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
    END { for (j = 1; j <= k; j++) printf "| %s | %s | %d | %.1f%% |\n", run, order[j], n[order[j]], 100 * own[order[j]] / n[order[j]] }' "$last"
done
