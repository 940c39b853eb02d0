#!/usr/bin/env bash
# The crash campaign of docs/architecture.md ("The run journal"): runs an experiment once uninterrupted, then N times
# kills it with SIGKILL at a moment drawn uniformly over the reference run's duration (so kills land during start-up,
# training, checkpoint writes, evaluations, between a results write and the next checkpoint, and in the report),
# resumes it with `coin run --resume` until it completes, and compares the accuracy matrix, steps.csv, every score
# and loss in results.json and the prediction files with the uninterrupted run, byte for byte.
# Prints one line per trial and ends with "K/N identical"; exits non-zero unless all are.
# Usage: bash experiments/crash-campaign.sh [N=20] [EXPERIMENT=experiments/crash-stream.json]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-20}
experiment=$(realpath "${2:-experiments/crash-stream.json}")
work=${CRASH_WORK:-$(mktemp -d -t coin-crash-XXXXXX)}
mkdir -p "$work"
[ -f artifacts/coin/Debug/coin.dll ] || dotnet build src/Coin.Host -v q --nologo > /dev/null
coin=(dotnet "$PWD/artifacts/coin/Debug/coin.dll")
# One thread: float sums are ordered the same in every process, so identical inputs give identical bits.
export COIN_THREADS=1
compare="$PWD/experiments/compare-runs.py"

begin=$(date +%s%N)
"${coin[@]}" run "$experiment" --output "$work/reference" > "$work/reference.log" 2>&1
duration_ms=$(( ($(date +%s%N) - begin) / 1000000 ))
reference=$(ls -d "$work"/reference/*/ | head -n 1)
echo "reference run: $(( duration_ms / 1000 )).$(( duration_ms % 1000 / 100 )) s, $reference"

identical=0
for trial in $(seq 1 "$trials"); do
  output="$work/trial-$trial"
  log="$work/trial-$trial.log"
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % duration_ms ))
  "${coin[@]}" run "$experiment" --output "$output" > "$log" 2>&1 &
  pid=$!
  sleep "$(( delay_ms / 1000 )).$(printf '%03d' $(( delay_ms % 1000 )))"
  kill -KILL "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  during=$(tail -n 1 "$log" | cut -c 1-70)
  # A run folder is resumable once it holds its experiment.json (a kill while it was being claimed leaves at most an
  # empty folder with its lock, which --resume rightly refuses: there is nothing to resume).
  file=$(ls "$output"/*/experiment.json 2> /dev/null | head -n 1 || true)
  attempts=0
  if [ -z "$file" ]; then
    # Killed before the run had started: the user starts it again.
    "${coin[@]}" run "$experiment" --output "$output" >> "$log" 2>&1
    file=$(ls "$output"/*/experiment.json | head -n 1)
    attempts=1
  fi
  folder=${file%/experiment.json}
  while ! grep -q '"status": "completed"' "$folder/results.json" 2> /dev/null && [ "$attempts" -lt 3 ]; do
    "${coin[@]}" run --resume "$folder" >> "$log" 2>&1 || true
    attempts=$(( attempts + 1 ))
  done
  if verdict=$(python3 "$compare" "$reference" "$folder"); then
    identical=$(( identical + 1 ))
    echo "trial $trial: killed at ${delay_ms} ms (last output: ${during:-none}); $attempts resume(s); identical"
  else
    echo "trial $trial: killed at ${delay_ms} ms (last output: ${during:-none}); $attempts resume(s); DIFFERENT: $verdict (log: $log)"
  fi
done
echo "$identical/$trials identical"
[ "$identical" -eq "$trials" ]
