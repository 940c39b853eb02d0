#!/usr/bin/env bash
# Shows that a change of structure changed nothing a run computes: builds two commits (git worktrees, Release) and
# runs with each (1) the built-in default run (`coin run`), each build training its own base model in a cache of its
# own; (2) the papers' regime LoRA run (experiments/paper/lora.json, seed 1), both builds sharing one base-model cache
# (the first build trains it; (1) covers the base stage's training); (3) the same LoRA run with the second build,
# killed with SIGKILL after its third task's checkpoint and resumed. experiments/compare-runs.py then compares each
# pair: accuracy matrix, scores, losses, metrics, steps.csv, accuracy-matrix.csv and the prediction files, byte for byte.
#
# Usage: experiments/same-results.sh BASE [HEAD] [WORK_DIR]   (HEAD defaults to HEAD; WORK_DIR to artifacts/same-results)
# About 35 minutes on a 2-core machine (the papers' base model alone takes ~10). Writes WORK_DIR/summary.md.
# A run whose folder in WORK_DIR already holds a completed record is kept, not run again: comparing a later HEAD
# against the same BASE in the same WORK_DIR runs only the new build's runs (~15 minutes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(git -C "$root" rev-parse --short "${1:?usage: same-results.sh BASE [HEAD] [WORK_DIR]}")
head=$(git -C "$root" rev-parse --short "${2:-HEAD}")
work=$(mkdir -p "${3:-$root/artifacts/same-results}" && cd "${3:-$root/artifacts/same-results}" && pwd)
compare="$root/experiments/compare-runs.py"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

build() {
  local commit=$1 tree="$work/src-$1"
  [ -d "$tree" ] || git -C "$root" worktree add --detach "$tree" "$commit" > /dev/null
  log "building $commit"
  dotnet build "$tree/src/Coin.Host/Coin.Host.csproj" -c Release -v q --nologo > "$work/build-$commit.log" 2>&1
  echo "$tree"
}

completed() { python3 -c "import json,sys; sys.exit(0 if json.load(open('$1/results.json')).get('status') == 'completed' else 1)" 2> /dev/null; }

run_default() {
  local commit=$1 tree=$2 folder="$work/default-$1"
  if completed "$folder/run"; then log "default run with $commit: kept"; return; fi
  rm -rf "$folder" "$work/home-$commit" && mkdir -p "$folder"
  log "default run with $commit"
  (cd "$folder" && COIN_HOME="$work/home-$commit" dotnet "$tree/artifacts/coin/Release/coin.dll" run --run-dir "$folder/run" > "$folder.log" 2>&1)
}

run_paper() {
  local commit=$1 tree=$2 folder=$3
  if completed "$folder"; then log "papers' regime LoRA with $commit: kept"; return; fi
  rm -rf "$folder"
  log "papers' regime LoRA with $commit → $(basename "$folder")"
  COIN_HOME="$work/home-paper" dotnet "$tree/artifacts/coin/Release/coin.dll" run "$tree/experiments/paper/lora.json" --run-dir "$folder" > "$folder.log" 2>&1
}

base_tree=$(build "$base")
head_tree=$(build "$head")
# The shared base model is trained by the first papers' run; kept with that run's folder.
completed "$work/paper-$base" || rm -rf "$work/home-paper"

run_default "$base" "$base_tree"
run_default "$head" "$head_tree"
run_paper "$base" "$base_tree" "$work/paper-$base"
run_paper "$head" "$head_tree" "$work/paper-$head"

# Killed once three tasks are done (their accuracy rows are in results.json), then resumed.
killed="$work/paper-$head-killed"
rm -rf "$killed"
log "papers' regime LoRA with $head, to be killed after the third task"
COIN_HOME="$work/home-paper" dotnet "$head_tree/artifacts/coin/Release/coin.dll" run "$head_tree/experiments/paper/lora.json" --run-dir "$killed" > "$killed.log" 2>&1 &
pid=$!
until python3 -c "import json,sys; sys.exit(0 if len(json.load(open('$killed/results.json')).get('accuracyMatrix', [])) >= 3 else 1)" 2> /dev/null; do
  kill -0 "$pid" 2> /dev/null || { echo "the run ended before its third task: see $killed.log"; exit 1; }
  sleep 2
done
sleep 5
kill -KILL "$pid"; wait "$pid" 2> /dev/null || true
log "killed during: $(tail -n 1 "$killed.log" | cut -c 1-100)"
COIN_HOME="$work/home-paper" dotnet "$head_tree/artifacts/coin/Release/coin.dll" run --resume "$killed" > "$killed.resume.log" 2>&1

verdict() { if python3 "$compare" "$@" > "$work/diff.txt" 2>&1; then echo "identical"; else echo "DIFFERENT: $(tr '\n' ' ' < "$work/diff.txt")"; fi; }
{
  echo "# Same results: $base against $head ($(date -u +%Y-%m-%d))"
  echo
  echo "| pair | compared | verdict |"
  echo "|---|---|---|"
  echo "| default run, $base / $head (each build trains its own base model, and generates its data, in a cache of its own) | accuracy matrix, scores, losses, metrics, steps.csv, accuracy-matrix.csv, predictions (the cache folder in their input paths aside) | $(verdict "$work/default-$base/run" "$work/default-$head/run" --replace "$work/home-$base/" "$work/home-$head/") |"
  echo "| papers' regime LoRA seed 1, $base / $head (one shared base model) | the same | $(verdict "$work/paper-$base" "$work/paper-$head") |"
  echo "| papers' regime LoRA seed 1, $base uninterrupted / $head killed after task 3 and resumed | the same | $(verdict "$work/paper-$base" "$killed") |"
} > "$work/summary.md"
cat "$work/summary.md"
