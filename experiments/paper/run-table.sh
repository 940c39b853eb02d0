#!/usr/bin/env bash
# The README's paper-regime table (issue 13), across as many sittings as it takes: every cell of
# experiments/sweeps/paper-methods.json (16 methods x 3 seeds, seed 1 of every method first) that has no kept result
# yet is run (an interrupted cell resumes), and a slim copy of each finished cell (results.json, the matrix, report.md,
# steps.csv gzipped) is kept under docs/paper-regime/cells/<values> (named without the cell's number, which moves when
# methods are added to the sweep), which is committed. Then `coin compare` over the kept
# cells writes docs/paper-regime/comparison.{csv,png,html}, and the LLaCA cells' alpha per task goes to
# docs/paper-regime/llaca-alpha.md.
# Usage: bash experiments/paper/run-table.sh [MAX_CELLS]     (MAX_CELLS: stop after running that many cells)
# The host is copied to artifacts/paper-coin first, so that rebuilding the repository while the table runs does not
# change the program half-way through it.
set -euo pipefail
cd "$(dirname "$0")/../.."
sweep=experiments/sweeps/paper-methods.json
keep=docs/paper-regime/cells
max=${1:-1000}
if [ -z "${COIN:-}" ]; then
  if [ ! -f artifacts/paper-coin/coin.dll ]; then
    dotnet build src/Coin.Host -c Release -v q --nologo > /dev/null
    rm -rf artifacts/paper-coin && cp -r artifacts/coin/Release artifacts/paper-coin
  fi
  COIN="dotnet artifacts/paper-coin/coin.dll"
fi
mkdir -p "$keep"
cells=$($COIN sweep plan "$sweep" | sed -n 's/.* sweep paper-methods: \([0-9]*\) cells.*/\1/p')
ran=0
for ((i = 0; i < cells; i++)); do
  name=$($COIN sweep plan "$sweep" | awk -v i="$i" -F'│' '$2 + 0 == i && $2 ~ /[0-9]/ { gsub(/ /, "", $3); print $3 }')
  kept="$keep/${name#*-}"
  [ -f "$kept/results.json" ] && continue
  [ "$ran" -ge "$max" ] && break
  echo "== cell $i ($name), $(date -u +%H:%M:%S)"
  $COIN sweep run "$sweep" --cell "$i" | grep -E '^(results|  [A-Za-z]+: [0-9]+ steps)' || true
  folder="runs/sweeps/paper-methods/$name"
  if grep -q '"status": "completed"' "$folder/results.json" 2>/dev/null; then
    mkdir -p "$kept"
    cp "$folder/results.json" "$folder/accuracy-matrix.csv" "$folder/report.md" "$kept/"
    gzip -9 -c "$folder/steps.csv" > "$kept/steps.csv.gz"
    # The LoRA bank's routing per stage (lora-bank 0.1.0 on contract 2.1 writes it): a few lines per stage.
    [ -d "$folder/lora-bank-routing" ] && cp -r "$folder/lora-bank-routing" "$kept/"
  fi
  ran=$((ran + 1))
done

# compare reads steps.csv beside results.json for its loss column: unpack into a scratch copy.
scratch=$(mktemp -d)
for run in "$keep"/*/; do
  mkdir -p "$scratch/$(basename "$run")"
  cp "$run"results.json "$scratch/$(basename "$run")/"
  gunzip -c "$run"steps.csv.gz > "$scratch/$(basename "$run")/steps.csv"
done
# (comparison.csv and comparison.html are written beside the plot)
$COIN compare "$scratch"/* --plot docs/paper-regime/comparison.png

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
} > docs/paper-regime/llaca-alpha.md
# The LoRA bank's routing after the last task: for each task, the share of its test samples sent to its own LoRA.
{
  echo "| run | task | samples | routed to its own task's LoRA |"
  echo "|---|---|---:|---:|"
  for run in "$keep"/*lora-bank*/; do
    # (a run kept before the bank logged its routing has none: pipefail would stop the script here)
    last=$(ls "$run"lora-bank-routing/after-*.csv 2>/dev/null | sort | tail -1 || true)
    [ -n "$last" ] || continue
    awk -F, -v run="$(basename "$run")" 'NR > 1 { n[$1] += $3; if ($1 == $2) own[$1] += $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
      END { for (j = 1; j <= k; j++) printf "| %s | %s | %d | %.1f%% |\n", run, order[j], n[order[j]], 100 * own[order[j]] / n[order[j]] }' "$last"
  done
} > docs/paper-regime/lora-bank-routing.md
rm -rf "$scratch"
echo "kept cells: $(ls "$keep" | wc -l) of $cells"
