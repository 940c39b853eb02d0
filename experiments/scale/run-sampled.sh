#!/usr/bin/env bash
# One full-size run with its resident memory sampled every 2 s (docs/scale.md, "Third, with AdamW's temporaries ...").
# Usage: experiments/scale/run-sampled.sh WORK_DIR NAME FROZEN [CHECKPOINTING]   (after llava-7b.sh has made WORK_DIR/coin,
#        the model folder and WORK_DIR/stream-1x1; CHECKPOINTING true (default) or false)
# Writes WORK_DIR/NAME.plan.txt, NAME.log (time-stamped lines), NAME.rss (time, VmHWM, VmRSS from /proc) and NAME.time
# (GNU time). Plot one or more runs: dotnet run experiments/scale/plot-rss.cs OUT.png "label=WORK_DIR/NAME.rss=HH:MM:SS"
# (the time the first training step started, from NAME.log).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$1; name=$2; frozen=$3; checkpointing=${4:-true}; coin=${COIN:-$work/coin/coin}
sets=(--set "variables.model=$work/llava-1.5-7b" --set "variables.stream=$work/stream-1x1"
      --set "model.backbone.options.frozenWeights=$frozen" --set "training.activationCheckpointing=$checkpointing")
rm -rf "$work/runs/$name"
"$coin" run "$root/experiments/scale/llava-7b.json" --plan "${sets[@]}" > "$work/$name.plan.txt" 2>&1
/usr/bin/time -v -o "$work/$name.time" "$coin" run "$root/experiments/scale/llava-7b.json" "${sets[@]}" --output "$work/runs/$name" 2>&1 \
  | while IFS= read -r line; do echo "$(date -u +%T) $line"; done > "$work/$name.log" &
sleep 3
pid=$(pgrep -f "^[^ ]*coin run .*runs/$name" | head -1)   # the coin process itself, not GNU time
while kill -0 "$pid" 2>/dev/null; do
  echo "$(date -u +%T) $(grep -E 'VmHWM|VmRSS' "/proc/$pid/status" 2>/dev/null | tr -s ' \t' ' ' | tr '\n' ' ')"
  sleep 2
done > "$work/$name.rss"
wait
