#!/usr/bin/env bash
# Threads under contention (issue 30): the training step of `coin bench --suite hardware` on 1 and 2 libtorch threads,
# with the cores to itself and beside busy sibling processes (each a Python busy loop holding one core), under
# libgomp's default wait policy and OMP_WAIT_POLICY=passive. Every configuration runs in the same sitting, in an
# interleaved order, so that drift of the machine touches all of them alike.
# Usage: experiments/threads/under-load.sh [PRESETS] [SIBLINGS]   (default tiny,small and "0 1 2"; ~10 minutes)
# Prints a Markdown table (ms per step, float32 and bf16-mixed) and writes it to artifacts/threads-under-load.md.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
presets=${1:-tiny,small}
siblings_list=${2:-0 1 2}
dotnet build "$root/src/Coin.Host" -c Release --nologo -v q >/dev/null || { echo "build failed"; exit 1; }
coin=$root/artifacts/coin/Release/coin.dll
out=$root/artifacts/threads-under-load.md
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

busy() { for ((i = 0; i < $1; i++)); do python3 -c 'while True: pass' & done; }

rows=()
for siblings in $siblings_list; do
  busy "$siblings"
  for policy in default passive; do
    for threads in 1 2; do
      echo "siblings $siblings, policy $policy, threads $threads ..." >&2
      # libgomp's default: spin 300,000 times at a barrier, then sleep (GOMP_SPINCOUNT set to that explicitly, so that
      # the measurement does not depend on what the host chooses when neither variable is set); passive: sleep at once.
      if [[ $policy == passive ]]; then export OMP_WAIT_POLICY=PASSIVE; unset GOMP_SPINCOUNT; else unset OMP_WAIT_POLICY; export GOMP_SPINCOUNT=300000; fi
      result=$(cd "$work" && timeout 600 dotnet "$coin" bench --suite hardware --presets "$presets" \
        --threads "$threads" --blocks 3 --peak-sizes 1024 2>&1)
      while IFS= read -r line; do
        name=$(echo "$line" | awk -F'│' '{print $2}' | tr -d ' ')
        f32=$(echo "$line" | awk -F'│' '{print $5}' | tr -d ' ')
        bf16=$(echo "$line" | awk -F'│' '{print $6}' | tr -d ' ')
        rows+=("| $siblings | $policy | $threads | $name | $f32 | $bf16 |")
      done < <(echo "$result" | grep -E "│ (tiny|small|d512) ")
    done
  done
  unset OMP_WAIT_POLICY GOMP_SPINCOUNT
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
done

{
  echo "coin bench --suite hardware --presets $presets --blocks 3, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
  echo
  echo "| busy siblings | wait policy | threads | preset | float32 ms/step | bf16-mixed ms/step |"
  echo "|---:|---|---:|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$out"
