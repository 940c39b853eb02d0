#!/usr/bin/env bash
# The proof at full size (docs/scale.md): a randomly initialised LLaVA-1.5-7B in the llava-hf layout, tuned with LoRA
# r = 128 on every LLM linear and the projector, on a two-task CoIN-format stream of real photographs, evaluated after
# each task; optionally killed with SIGKILL mid-task, resumed, and compared with the uninterrupted run.
#
# Usage: experiments/scale/llava-7b.sh [WORK_DIR]          (default artifacts/scale; needs ~30 GB of disk)
#   CONFIGS="bfloat16:on nf4:on int8:on bfloat16:off"     frozen base : activation checkpointing [: precision], one
#                                                          run each (precision float32 as in the experiment file, or
#                                                          bfloat16 for CPUs with bf16 matrix units: "bfloat16:on:bfloat16")
#   KILL=1 | KILL=bfloat16:on                              also kill and resume the first (or the named) configuration;
#                                                          its uninterrupted run may come from an earlier sitting
#   BUILD=0                                                reuse WORK_DIR/coin (the build an earlier sitting copied)
#   STREAM=DIR                                             an existing stream folder (default WORK_DIR/stream-ROWSxROWS)
#   TRAIN_ROWS=2 TEST_ROWS=1                               rows per task (a 7B sample costs minutes on a CPU)
# Writes WORK_DIR/summary.md: per configuration the plan's peak estimate beside the measured peak resident memory
# (GNU time's maximum RSS), the load time, seconds per step and the step's achieved FLOP/s beside the matmul peaks
# measured in the same sitting; and the kill/resume comparison.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mkdir -p "${1:-$root/artifacts/scale}" && cd "${1:-$root/artifacts/scale}" && pwd)
configs=${CONFIGS-"bfloat16:on"}
experiment=$root/experiments/scale/llava-7b.json

# Run from a copy of the build, so that rebuilding the repository during an hour-long run replaces no file under it.
if [[ ${BUILD:-1} != 0 || ! -x $work/coin/coin ]]; then
  dotnet build "$root/src/Coin.Host" -c Release --nologo -v q >/dev/null
  rm -rf "$work/coin" && cp -r "$root/artifacts/coin/Release" "$work/coin"
  git -C "$root" rev-parse --short HEAD > "$work/commit.txt"
fi
coin=$work/coin/coin

model=$work/llava-1.5-7b
[[ -f $model/model.safetensors.index.json ]] ||
  "$coin" model init "$root/experiments/scale/models/llava-1.5-7b/config.json" --out "$model" --seed 1
# One stream folder per row count, so that a run never trains on another sitting's rows.
stream=${STREAM:-$work/stream-${TRAIN_ROWS:-2}x${TEST_ROWS:-1}}
[[ -d $stream/Identify ]] || bash "$root/experiments/scale/make-stream.sh" "$stream" "${TRAIN_ROWS:-2}" "${TEST_ROWS:-1}"

# The matmul peaks of this machine now, float32 and bfloat16, for the FLOP/s column.
# (bfloat16 runs at ~1 GFLOP/s on a CPU without AMX: a 4096² product alone would take minutes, so 1024 and 2048.)
"$coin" bench --suite hardware --presets tiny --peak-sizes 1024,2048 --blocks 1 --steps 1 > "$work/peaks.txt"

run_config() {  # NAME FROZEN CHECKPOINTING PRECISION [extra coin args...]
  local name=$1 frozen=$2 ckpt=$3 precision=$4; shift 4
  local sets=(--set "variables.model=$model" --set "variables.stream=$stream"
              --set "model.backbone.options.frozenWeights=$frozen" --set "training.activationCheckpointing=$ckpt")
  [[ -z $precision ]] || sets+=(--set "training.precision=$precision")
  "$coin" run "$experiment" --plan "${sets[@]}" > "$work/$name.plan.txt" 2>&1 || true
  rm -rf "$work/runs/$name"
  /usr/bin/time -v -o "$work/$name.time.txt" "$coin" run "$experiment" "${sets[@]}" --output "$work/runs/$name" "$@" \
    > "$work/$name.log" 2>&1 || echo "exit $?" >> "$work/$name.log"
}

for config in $configs; do
  IFS=: read -r frozen switch precision <<< "$config"
  ckpt=$([[ $switch == on ]] && echo true || echo false)
  name=$frozen-$switch${precision:+-$precision}
  echo "$(date -u +%T) $frozen, checkpointing $ckpt${precision:+, precision $precision} ..."
  run_config "$name" "$frozen" "$ckpt" "$precision"
done

if [[ ${KILL:-0} != 0 ]]; then
  first=$([[ $KILL == 1 ]] && echo "${configs%% *}" || echo "$KILL"); frozen=${first%%:*}; ckpt=$([[ ${first##*:} == on ]] && echo true || echo false)
  name=killed-$frozen-${first##*:}
  echo "$(date -u +%T) $frozen, killed after the first mid-task checkpoint, then resumed ..."
  sets=(--set "variables.model=$model" --set "variables.stream=$stream"
        --set "model.backbone.options.frozenWeights=$frozen" --set "training.activationCheckpointing=$ckpt")
  rm -rf "$work/runs/$name"
  "$coin" run "$experiment" "${sets[@]}" --output "$work/runs/$name" > "$work/$name.log" 2>&1 &
  pid=$!
  # A checkpoint at step 1 of the first task: its state.json names step 1 (checkpointEverySteps is 1).
  until compgen -G "$work/runs/$name/*/checkpoint/state.json" >/dev/null && grep -q '"step": *1' "$work"/runs/"$name"/*/checkpoint/state.json 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 5
  done
  sleep 20   # into the second step, mid-computation
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  folder=$(ls -d "$work/runs/$name"/*/)
  /usr/bin/time -v -o "$work/$name.time.txt" "$coin" run --resume "$folder" >> "$work/$name.log" 2>&1 || echo "exit $?" >> "$work/$name.log"
fi

/usr/bin/python3 "$root/experiments/scale/summarise.py" "$work" > "$work/summary.md"
cat "$work/summary.md"
