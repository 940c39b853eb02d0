#!/usr/bin/env bash
# A sweep's results table across as many sittings as it takes: every cell of SWEEP that has no kept result yet is run
# (an interrupted cell resumes), and a slim copy of each finished cell (results.json, the matrix, report.md, steps.csv
# gzipped, the LoRA bank's routing when there is one) is kept under KEEP/<values> (named without the cell's number,
# which moves when values are added to an axis), which is committed. Then `coin compare` over the kept cells writes
# comparison.{csv,png,html} beside KEEP.
# Usage: bash experiments/sweeps/keep-cells.sh SWEEP KEEP [MAX_CELLS]   (MAX_CELLS: stop after running that many; 0
#        only rewrites the comparison)
# COIN: the host command. By default a Release build is copied once to artifacts/<sweep name>-coin, so that
# rebuilding the repository while a table runs does not change the program half-way through it.
set -euo pipefail
cd "$(dirname "$0")/../.."
sweep=$1
keep=$2
max=${3:-1000}
name=$(sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' "$sweep" | head -1)
if [ -z "${COIN:-}" ]; then
  if [ ! -f "artifacts/$name-coin/coin.dll" ]; then
    dotnet build src/Coin.Host -c Release -v q --nologo > /dev/null
    rm -rf "artifacts/$name-coin" && cp -r artifacts/coin/Release "artifacts/$name-coin"
  fi
  COIN="dotnet artifacts/$name-coin/coin.dll"
fi
mkdir -p "$keep"
plan=$($COIN sweep plan "$sweep")
runs=$(echo "$plan" | sed -n 's/.* cells → \(.*[^ ]\) *$/\1/p')
# Each cell's folder, in cell order (the plan's table rows; the header's "cell" column has no digit). A kept copy is
# named without the cell's number.
mapfile -t folders < <(echo "$plan" | awk -F'│' '$2 ~ /[0-9]/ { gsub(/ /, "", $3); print $3 }')
cells=${#folders[@]}
unkept() { [ ! -f "$keep/${1#*-}/results.json" ]; }
ran=0
for ((i = 0; i < cells; i++)); do
  folder=${folders[i]}
  kept="$keep/${folder#*-}"
  unkept "$folder" || continue
  [ "$ran" -ge "$max" ] && break
  echo "== cell $i ($folder), $(date -u +%H:%M:%S)"
  started=$SECONDS
  $COIN sweep run "$sweep" --cell "$i" | grep -E '^(results|  [A-Za-z]+: [0-9]+ steps)' || true
  if grep -q '"status": "completed"' "$runs/$folder/results.json" 2>/dev/null; then
    mkdir -p "$kept"
    cp "$runs/$folder/results.json" "$runs/$folder/accuracy-matrix.csv" "$runs/$folder/report.md" "$kept/"
    gzip -9 -c "$runs/$folder/steps.csv" > "$kept/steps.csv.gz"
    [ -d "$runs/$folder/lora-bank-routing" ] && cp -r "$runs/$folder/lora-bank-routing" "$kept/"
  fi
  ran=$((ran + 1))
  # The time left at this sitting's mean per cell (cells differ: a method's first seed also trains its base model).
  left=0
  for f in "${folders[@]:i+1}"; do unkept "$f" && left=$((left + 1)); done
  echo "   took $(( (SECONDS - started) / 60 )) min; $left cells left, about $(( SECONDS / ran * left / 60 )) min at this sitting's $(( SECONDS / ran / 60 )) min a cell"
done

# compare reads steps.csv beside results.json for its loss column: unpack into a scratch copy.
scratch=$(mktemp -d)
for run in "$keep"/*/; do
  mkdir -p "$scratch/$(basename "$run")"
  cp "$run"results.json "$scratch/$(basename "$run")/"
  gunzip -c "$run"steps.csv.gz > "$scratch/$(basename "$run")/steps.csv"
done
# (comparison.csv and comparison.html are written beside the plot)
[ -n "$(ls "$scratch")" ] && $COIN compare "$scratch"/* --plot "$(dirname "$keep")/comparison.png"
rm -rf "$scratch"
echo "kept cells: $(ls "$keep" | wc -l) of $cells"
