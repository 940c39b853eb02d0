#!/usr/bin/env bash
# Every adapter and continual method on an any-resolution model: a tiny LLaVA-NeXT or OneVision folder with random
# weights (tests/data/llava-next/llava-next-run-tiny, tests/data/llava-onevision/llava-onevision-run-tiny), two tasks of
# the shapes stream, LoRA unless the adapter is the one varied. It shows that each method runs to completion on images
# whose token counts differ, not what any method achieves (the weights are random). Prints a Markdown table.
# Usage: experiments/anyres/every-method.sh [llava-next|llava-onevision] [WORK_DIR]
set -uo pipefail
family=${1:-llava-next}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"
coin="$root/artifacts/coin/Debug/coin.dll"
[ -f "$coin" ] || { echo "build first: dotnet build Coin.sln" >&2; exit 2; }
folder="$root/tests/data/$family/$family-run-tiny"
layer=-2; [ "$family" = llava-onevision ] && layer=-1
cat > "$work/base.json" <<JSON
{
  "name": "every-method", "seed": 3, "output": "runs",
  "training": { "epochs": 1, "batchSize": 4 },
  "data": { "type": "shapes", "options": { "tasks": ["color", "position"], "trainPerTask": 16, "testPerTask": 8 } },
  "model": {
    "backbone": { "type": "llama", "options": { "path": "$folder" } },
    "encoders": { "image": { "type": "clip-vit", "options": { "path": "$folder", "mode": "anyres", "featureLayer": $layer } } },
    "connector": { "type": "mlp2x-gelu", "options": { "path": "$folder" } },
    "adapter": { "type": "lora", "options": { "rank": 4 } }
  },
  "evaluation": { "batchSize": 4, "maxNewTokens": 2, "zeroShot": false, "evaluator": { "type": "exact-match" } }
}
JSON
export COIN_THREADS=${COIN_THREADS:-1} COIN_HOME="$work/home"
echo "| $family | setting | exit | result |"
echo "|---|---|---|---|"
run() {
  local label=$1; shift
  out=$(cd "$work" && dotnet "$coin" run base.json "$@" 2>&1); status=$?
  if [ "$status" -eq 0 ]; then line="completed"; else line=$(echo "$out" | grep -E "^error" | head -1 | cut -c1-160); fi
  echo "| $label | \`$*\` | $status | $line |"
}
for adapter in dora moelora olora lora-bank; do run "adapter $adapter" --set model.adapter.type=$adapter; done
run "adapter lora-bank (routed on images)" --set model.adapter.type=lora-bank --set model.adapter.options.routeOn=inputs
run "adapter full" --set model.adapter.type=full --set "model.adapter.options.train:0=backbone" --set "model.adapter.options.train:1=connector"
for method in agem ema ewc independent llaca lwf multitask replay si; do run "continual $method" --set continual.type=$method; done
