#!/usr/bin/env bash
# A campaign of hostile inputs (docs/reliability.md): each case builds one bad input — an experiment file, a data
# folder, a media file, a model folder, a checkpoint, the environment or the disk — runs `coin run` on it with a time
# limit, and sorts the outcome into one of:
#   clear error          exit 2 with one "error: ..." message and no stack trace (expected for hostile input)
#   accepted as intended exit 0 for an input that is valid after all (a case says which it expects)
#   silently accepted    exit 0 for an input that should have been refused
#   refused although ok  a valid input refused
#   stack trace          a .NET stack trace or a crash (abort, segfault) instead of a message
#   hang                 still running at the time limit (killed)
#   other                any other exit
# Usage: experiments/hostile-inputs.sh [WORK_DIR] [NAME_FILTER]   (default WORK_DIR artifacts/hostile; a few minutes)
# Prints a Markdown table of every case and the counts, and writes it to WORK_DIR/outcomes.md.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-$root/artifacts/hostile}" && cd "${1:-$root/artifacts/hostile}" && pwd)
filter=${2:-}
limit=${LIMIT:-60}
py=/usr/bin/python3   # Debian's: json and struct only, for byte-level edits

dotnet build "$root/src/Coin.Host" -c Release --nologo -v q >/dev/null || { echo "build failed"; exit 1; }
coin=$root/artifacts/coin/Release/coin
rm -rf "$work/cases" && mkdir -p "$work/cases" "$work/base"

# --- the valid base every case starts from -------------------------------------------------------------------------
base_data=$work/base/data
if [[ ! -f $base_data/A/train.json ]]; then
  mkdir -p "$base_data/images" "$base_data/A"
  cp "$root"/tests/data/images/*.png "$base_data/images/"
  $py - "$base_data" <<'PY'
import json, sys, os
d = sys.argv[1]
images = sorted(f for f in os.listdir(f"{d}/images") if f.endswith(".png"))
train = [{"id": f"t{i}", "image": images[i % len(images)],
          "conversations": [{"from": "human", "value": "<image>\nWhich picture is this?"}, {"from": "gpt", "value": images[i % len(images)][:-4]}]}
         for i in range(8)]
test = [{"question_id": f"q{i}", "image": images[i], "text": "Which picture is this?", "answer": images[i][:-4]} for i in range(2)]
json.dump(train, open(f"{d}/A/train.json", "w"), indent=1)
json.dump(test, open(f"{d}/A/test.json", "w"), indent=1)
PY
fi
base_model=$work/base/model
if [[ ! -f $base_model/model.safetensors ]]; then
  cat > "$work/base/model-config.json" <<'JSON'
{ "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 320,
  "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu",
  "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2 }
JSON
  "$coin" model init "$work/base/model-config.json" --out "$base_model" --seed 1 --dtype float32 --shard-gb 100 >/dev/null
fi
# A finished run to damage (checkpoint cases copy its folder).
base_run=$work/base/run
if [[ ! -d $base_run ]]; then
  mkdir -p "$work/base/run-source"
  cp -r "$base_data" "$work/base/run-source/data"
  cat > "$work/base/run-source/experiment.json" <<JSON
{ "name": "hostile", "seed": 1, "output": "runs", "threads": 1,
  "training": { "epochs": 2, "batchSize": 2, "checkpointEverySteps": 2 }, "pretraining": { "epochs": 0 },
  "data": { "type": "coin-files", "options": { "root": "data", "mediaFolder": "data/images",
    "tasks": [ { "name": "A", "train": "A/train.json", "test": "A/test.json", "metric": "exact-match" },
               { "name": "B", "train": "A/train.json", "test": "A/test.json", "metric": "exact-match" } ] } },
  "evaluation": { "batchSize": 2, "maxNewTokens": 3, "zeroShot": false, "evaluator": { "type": "exact-match" } } }
JSON
  (cd "$work/base/run-source" && "$coin" run experiment.json >/dev/null 2>&1)
  mv "$(ls -d "$work"/base/run-source/runs/*/)" "$base_run"
fi

# --- helpers for the cases -----------------------------------------------------------------------------------------
# Each case runs in its own folder ($dir) holding data/ (a copy of the base data) and experiment.json; ARGS is the
# coin command line (default: run experiment.json).
write_experiment() {
  cat > "$dir/experiment.json" <<'JSON'
{ "name": "hostile", "seed": 1, "output": "runs", "threads": 1,
  "training": { "epochs": 1, "batchSize": 4 }, "pretraining": { "epochs": 0 },
  "data": { "type": "coin-files", "options": { "root": "data", "mediaFolder": "data/images",
    "tasks": [ { "name": "A", "train": "A/train.json", "test": "A/test.json", "metric": "exact-match" } ] } },
  "evaluation": { "batchSize": 2, "maxNewTokens": 3, "zeroShot": false, "evaluator": { "type": "exact-match" } } }
JSON
}
# edit FILE 'python statements on d'   (d is the parsed JSON; written back)
edit() { $py -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); exec(sys.argv[2]); json.dump(d, open(p,'w'))" "$1" "$2"; }
# raw FILE 'python statements on b'    (b is a bytearray of the file; written back)
raw() { $py -c "import sys,struct; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); exec(sys.argv[2]); open(p,'wb').write(bytes(b))" "$1" "$2"; }
train_row() { edit "$dir/data/A/train.json" "d[0].update($1)"; }
use_model() { mkdir -p "$dir/model" && cp -r "$base_model"/. "$dir/model/"
  edit "$dir/experiment.json" 'd["model"]={"backbone":{"type":"llama","options":{"path":"model","chatTemplate":"vicuna_v1"}}}'; }
use_run() { cp -r "$base_run" "$dir/run"; ARGS=(run --resume "$dir/run"); }
state() { edit "$dir/run/checkpoint/state.json" "$1"; }
# A finished run turned back into one stopped after step 2 of its second task (what a resume continues).
# The checkpoint's copy of the results loses task B's rows (accuracy, training, scores, answer formats), as a checkpoint inside task B holds only task A's (a resume
# refuses a checkpoint whose results disagree with its position).
midrun() {
  state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10); r=d[\"journal\"][\"results\"]; r[\"accuracyMatrix\"]=r[\"accuracyMatrix\"][:1]; r[\"training\"]=r[\"training\"][:1]; r[\"scores\"]=[x for x in r[\"scores\"] if x[\"afterTask\"]!=\"B\"]; r[\"answerFormats\"]=[x for x in r[\"answerFormats\"] if x[\"afterTask\"]!=\"B\"]; r[\"status\"]=\"interrupted\""
  edit "$dir/run/results.json" "d[\"status\"]=\"interrupted\""
}
fifo() { rm -f "$1"; mkfifo "$1"; }

declare -a NAMES=() CATEGORIES=() EXPECTS=() SETUPS=()
add() { NAMES+=("$2"); CATEGORIES+=("$1"); EXPECTS+=("$3"); SETUPS+=("$4"); }

# --- experiment files ----------------------------------------------------------------------------------------------
add experiment "not JSON" refuse 'echo "{ not json" > "$dir/experiment.json"'
add experiment "empty file" refuse ': > "$dir/experiment.json"'
add experiment "a JSON list" refuse 'echo "[1, 2]" > "$dir/experiment.json"'
add experiment "a FIFO" refuse 'fifo "$dir/experiment.json"'
add experiment "/dev/zero through a link" refuse 'rm "$dir/experiment.json"; ln -s /dev/zero "$dir/experiment.json"'
add experiment "/dev/urandom through a link" refuse 'rm "$dir/experiment.json"; ln -s /dev/urandom "$dir/experiment.json"'
add experiment "a folder" refuse 'rm "$dir/experiment.json"; mkdir "$dir/experiment.json"'
add experiment "missing" refuse 'rm "$dir/experiment.json"'
add experiment "20 MB of whitespace" refuse '$py -c "open(\"$dir/experiment.json\",\"w\").write(\" \"*20_000_000 + \"{}\")"'
add experiment "nested 100,000 deep" refuse '$py -c "open(\"$dir/experiment.json\",\"w\").write(\"{\\\"a\\\":\"*100000 + \"1\" + \"}\"*100000)"'
add experiment "unpaired surrogate escape in the name" refuse 'edit "$dir/experiment.json" "d[\"name\"]=\"a\\ud800b\""'
add experiment "key given twice" refuse 'echo "{ \"seed\": 1, \"seed\": 2 }" > "$dir/experiment.json"'
add experiment "unknown top-level key" refuse 'edit "$dir/experiment.json" "d[\"trainig\"]={}"'
add experiment "epochs a string" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"epochs\"]=\"x\""'
add experiment "epochs negative" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"epochs\"]=-1"'
add experiment "epochs 10^12" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"epochs\"]=10**12"'
add experiment "epochs null" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"epochs\"]=None"'
add experiment "epochs a list" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"epochs\"]=[1]"'
add experiment "batch size 0" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"batchSize\"]=0"'
add experiment "learning rate NaN" refuse 'sed -i "s/\"epochs\": 1,/\"epochs\": 1, \"learningRate\": NaN,/" "$dir/experiment.json"'
add experiment "learning rate 1e400" refuse 'sed -i "s/\"epochs\": 1,/\"epochs\": 1, \"learningRate\": 1e400,/" "$dir/experiment.json"'
add experiment "precision fp8" refuse 'edit "$dir/experiment.json" "d[\"training\"][\"precision\"]=\"fp8\""'
add experiment "device gpu" refuse 'edit "$dir/experiment.json" "d[\"device\"]=\"gpu\""'
add experiment "threads -1" refuse 'edit "$dir/experiment.json" "d[\"threads\"]=-1"'
add experiment "seed -1" refuse 'edit "$dir/experiment.json" "d[\"seed\"]=-1"'
add experiment "name with a slash" refuse 'edit "$dir/experiment.json" "d[\"name\"]=\"../../etc\""'
add experiment "name with NUL" refuse 'edit "$dir/experiment.json" "d[\"name\"]=\"a\\u0000b\""'
add experiment "empty name" refuse 'edit "$dir/experiment.json" "d[\"name\"]=\"\""'
add experiment "output empty" refuse 'edit "$dir/experiment.json" "d[\"output\"]=\"\""'
add experiment "unknown backbone plugin" refuse 'edit "$dir/experiment.json" "d[\"model\"]={\"backbone\":{\"type\":\"nope\"}}"'
add experiment "unknown option of a plugin" refuse 'edit "$dir/experiment.json" "d[\"model\"]={\"backbone\":{\"type\":\"llama\",\"options\":{\"colour\":1}}}"'
add experiment "extends itself" refuse 'edit "$dir/experiment.json" "d[\"extends\"]=\"experiment.json\""'
add experiment "extends a loop of two" refuse 'echo "{\"extends\": \"experiment.json\"}" > "$dir/other.json"; edit "$dir/experiment.json" "d[\"extends\"]=\"other.json\""'
add experiment "extends /dev/zero" refuse 'edit "$dir/experiment.json" "d[\"extends\"]=\"/dev/zero\""'
add experiment "extends a missing file" refuse 'edit "$dir/experiment.json" "d[\"extends\"]=\"missing.json\""'
add experiment "64,000 variables" refuse_or_accept 'edit "$dir/experiment.json" "d[\"variables\"]={f\"v{i}\": \"x\"*16 for i in range(64000)}"'
add experiment "undefined variable in a path" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"root\"]=\"\${nope}\""'
add experiment "continual method unknown" refuse 'edit "$dir/experiment.json" "d[\"continual\"]={\"type\":\"nope\"}"'
add experiment "evaluator unknown" refuse 'edit "$dir/experiment.json" "d[\"evaluation\"][\"evaluator\"]={\"type\":\"nope\"}"'
add experiment "valid: comments and trailing commas" accept 'sed -i "s/{ \"name\"/\/\/ a comment\n{ \"name\"/" "$dir/experiment.json"'
add experiment "data.workers 2" accept 'edit "$dir/experiment.json" "d[\"data\"][\"workers\"]=2"'
add experiment "data.workers -1" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"workers\"]=-1"'

# --- data folders --------------------------------------------------------------------------------------------------
add data "train file a FIFO" refuse 'fifo "$dir/data/A/train.json"'
add data "test file a FIFO" refuse 'fifo "$dir/data/A/test.json"'
add data "train file /dev/zero (link)" refuse 'rm "$dir/data/A/train.json"; ln -s /dev/zero "$dir/data/A/train.json"'
add data "train file /dev/urandom (link)" refuse 'rm "$dir/data/A/train.json"; ln -s /dev/urandom "$dir/data/A/train.json"'
add data "train file /etc/passwd (absolute)" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"][0][\"train\"]=\"/etc/passwd\""'
add data "train file /proc/self/environ" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"][0][\"train\"]=\"/proc/self/environ\""'
add data "train file ../../ outside the root" refuse 'cp "$dir/data/A/train.json" "$dir/outside.json"; edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"][0][\"train\"]=\"../outside.json\""'
add data "train file a link out of the root" refuse 'cp "$dir/data/A/train.json" "$dir/outside.json"; rm "$dir/data/A/train.json"; ln -s "$dir/outside.json" "$dir/data/A/train.json"'
add data "train file a folder" refuse 'rm "$dir/data/A/train.json"; mkdir "$dir/data/A/train.json"'
add data "train file empty" refuse ': > "$dir/data/A/train.json"'
add data "train file not JSON" refuse 'echo "[{" > "$dir/data/A/train.json"'
add data "train file an object" refuse 'echo "{}" > "$dir/data/A/train.json"'
add data "train file an empty list" refuse 'echo "[]" > "$dir/data/A/train.json"'
add data "train file 2 MB of nesting" refuse '$py -c "open(\"$dir/data/A/train.json\",\"w\").write(\"[\"*1000000 + \"]\"*1000000)"'
add data "a row not an object" refuse 'edit "$dir/data/A/train.json" "d[0]=5"'
add data "id missing" refuse 'edit "$dir/data/A/train.json" "del d[0][\"id\"]"'
add data "id an object" refuse 'train_row "{\"id\": {\"a\": 1}}"'
add data "duplicate ids" refuse 'train_row "{\"id\": \"t1\"}"'
add data "duplicate test ids" refuse 'edit "$dir/data/A/test.json" "d[1][\"question_id\"]=d[0][\"question_id\"]"'
add data "conversations missing" refuse 'edit "$dir/data/A/train.json" "del d[0][\"conversations\"]"'
add data "three turns" refuse 'edit "$dir/data/A/train.json" "d[0][\"conversations\"].append(d[0][\"conversations\"][1])"'
add data "roles swapped" refuse 'edit "$dir/data/A/train.json" "d[0][\"conversations\"].reverse()"'
add data "turn value a number" refuse 'edit "$dir/data/A/train.json" "d[0][\"conversations\"][1][\"value\"]=5"'
add data "two placeholders for one image" refuse 'edit "$dir/data/A/train.json" "d[0][\"conversations\"][0][\"value\"]=\"<image><image>\""'
add data "placeholder without image" refuse 'edit "$dir/data/A/train.json" "del d[0][\"image\"]"'
add data "unknown field" refuse 'train_row "{\"colour\": \"red\"}"'
add data "image missing" refuse 'train_row "{\"image\": \"missing.png\"}"'
add data "image path empty" refuse 'train_row "{\"image\": \"\"}"'
add data "image path with NUL" refuse 'train_row "{\"image\": \"a\\u0000.png\"}"'
add data "image /etc/passwd (absolute)" refuse 'train_row "{\"image\": \"/etc/passwd\"}"'
add data "image ../../ traversal" refuse 'train_row "{\"image\": \"../../../../etc/passwd\"}"'
add data "image link to /etc/passwd" refuse 'ln -s /etc/passwd "$dir/data/images/p.png"; train_row "{\"image\": \"p.png\"}"'
add data "image link to /dev/zero" refuse 'ln -s /dev/zero "$dir/data/images/z.png"; train_row "{\"image\": \"z.png\"}"'
add data "image link to a PNG outside" refuse 'cp "$dir/data/images/square-32.png" "$dir/out.png"; ln -s "$dir/out.png" "$dir/data/images/o.png"; train_row "{\"image\": \"o.png\"}"'
add data "image a FIFO" refuse 'fifo "$dir/data/images/f.png"; train_row "{\"image\": \"f.png\"}"'
add data "image a folder" refuse 'mkdir "$dir/data/images/d.png"; train_row "{\"image\": \"d.png\"}"'
add data "image empty" refuse ': > "$dir/data/images/e.png"; train_row "{\"image\": \"e.png\"}"'
add data "image text named .png" refuse 'echo hello > "$dir/data/images/t.png"; train_row "{\"image\": \"t.png\"}"'
add data "image truncated PNG" refuse 'head -c 200 "$dir/data/images/wide-160x120.png" > "$dir/data/images/tr.png"; train_row "{\"image\": \"tr.png\"}"'
add data "image PNG with a bad CRC" refuse 'cp "$dir/data/images/wide-160x120.png" "$dir/data/images/crc.png"; raw "$dir/data/images/crc.png" "i=b.find(b\"IDAT\"); b[i+20]^=0xFF"; train_row "{\"image\": \"crc.png\"}"'
add data "image claiming 100000x100000" refuse 'cp "$dir/data/images/square-32.png" "$dir/data/images/big.png"; raw "$dir/data/images/big.png" "import zlib; b[16:24]=struct.pack(\">II\",100000,100000); b[29:33]=struct.pack(\">I\",zlib.crc32(bytes(b[12:29])))"; train_row "{\"image\": \"big.png\"}"'
add data "image JPEG garbage" refuse '$py -c "open(\"$dir/data/images/g.jpg\",\"wb\").write(b\"\\xff\\xd8\\xff\\xe0\"+bytes(range(256))*8)"; train_row "{\"image\": \"g.jpg\"}"'
add data "image 1x1" accept 'raw "$dir/data/images/square-32.png" "pass"; $py -c "import zlib,struct; raw=b\"\\x00\\xff\\x00\\x00\"; c=lambda t,d: struct.pack(\">I\",len(d))+t+d+struct.pack(\">I\",zlib.crc32(t+d)); open(\"$dir/data/images/one.png\",\"wb\").write(b\"\\x89PNG\\r\\n\\x1a\\n\"+c(b\"IHDR\",struct.pack(\">IIBBBBB\",1,1,8,2,0,0,0))+c(b\"IDAT\",zlib.compress(raw))+c(b\"IEND\",b\"\"))"; train_row "{\"image\": \"one.png\"}"'
add data "question of 1 MB" refuse 'train_row "{\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\" + \"why \"*250000}, {\"from\": \"gpt\", \"value\": \"x\"}]}"'
add data "answer of 200 KB" refuse 'train_row "{\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\"}, {\"from\": \"gpt\", \"value\": \"a \"*100000}]}"'
# A lone surrogate is no Unicode text: it has no UTF-8 form for a tokenizer (Hugging Face's refuses it too), so refused.
add data "invalid UTF-16 surrogate in text" refuse '$py -c "p=\"$dir/data/A/train.json\"; s=open(p).read().replace(\"Which picture\", \"\\\\ud800 picture\",1); open(p,\"w\").write(s)"'
add data "test text missing" refuse 'edit "$dir/data/A/test.json" "del d[0][\"text\"]"'
add data "test answer a number" accept 'edit "$dir/data/A/test.json" "d[0][\"answer\"]=5"'
add data "choices a string" refuse 'edit "$dir/data/A/test.json" "d[0][\"choices\"]=\"x\""'
add data "metric unknown" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"][0][\"metric\"]=\"nope\""'
add data "no tasks" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"]=[]"'
add data "task listed twice" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"].append(d[\"data\"][\"options\"][\"tasks\"][0])"'
add data "root missing" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"root\"]=\"nope\""'
add data "root a file" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"root\"]=\"experiment.json\""'
add data "media folder missing" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"mediaFolder\"]=\"nope\""'
add data "task name with a slash" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"tasks\"][0][\"name\"]=\"../x\""'
add data "onInvalidRow skip: all rows bad" refuse 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"onInvalidRow\"]=\"skip\""; edit "$dir/data/A/train.json" "d=[5,6]"'
add data "onInvalidRow skip: one bad row" accept 'edit "$dir/experiment.json" "d[\"data\"][\"options\"][\"onInvalidRow\"]=\"skip\""; edit "$dir/data/A/train.json" "d.append(5)"'

# --- audio ---------------------------------------------------------------------------------------------------------
wav() {  # wav FILE CHANNELS RATE FRAMES
  $py - "$@" <<'PY'
import struct, sys
path, channels, rate, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = b"\x00\x01" * channels * frames
fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
open(path, "wb").write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data)
PY
}
audio_case() {  # the file in $dir/data/images/a.wav replaces the image of every row
  edit "$dir/data/A/train.json" 'for r in d: r.pop("image"); r["audio"]="a.wav"; r["conversations"][0]["value"]="<audio>\nWhat is it?"'
  edit "$dir/data/A/test.json" 'for r in d: r.pop("image"); r["audio"]="a.wav"'
  edit "$dir/experiment.json" 'd["model"]={"encoders":{"audio":{"type":"whisper"}}}; d["data"]["options"]["tasks"][0]["modality"]="audio"'
}
add audio "valid WAV" accept 'wav "$dir/data/images/a.wav" 1 16000 1600; audio_case'
add audio "WAV with 65,535 channels" refuse 'wav "$dir/data/images/a.wav" 65535 16000 1; audio_case'
add audio "WAV with no samples" refuse 'wav "$dir/data/images/a.wav" 1 16000 0; audio_case'
add audio "WAV at 0 Hz" refuse 'wav "$dir/data/images/a.wav" 1 0 100; audio_case'
add audio "WAV at 4 GHz" refuse 'wav "$dir/data/images/a.wav" 1 4000000000 100; audio_case'
add audio "WAV truncated" refuse 'wav "$dir/data/images/a.wav" 1 16000 1600; head -c 100 "$dir/data/images/a.wav" > "$dir/data/images/b.wav"; mv "$dir/data/images/b.wav" "$dir/data/images/a.wav"; audio_case'
add audio "WAV chunk size negative" refuse 'wav "$dir/data/images/a.wav" 1 16000 1600; raw "$dir/data/images/a.wav" "b[40:44]=struct.pack(\"<i\",-5)"; audio_case'
add audio "WAV 8-bit" refuse 'wav "$dir/data/images/a.wav" 1 16000 100; raw "$dir/data/images/a.wav" "b[34:36]=struct.pack(\"<H\",8)"; audio_case'
add audio "WAV a FIFO" refuse 'fifo "$dir/data/images/a.wav"; audio_case'
add audio "not a WAV" refuse 'echo "RIFF....AVI " > "$dir/data/images/a.wav"; audio_case'

# --- model folders -------------------------------------------------------------------------------------------------
cfg() { edit "$dir/model/config.json" "$1"; }
add model "valid folder" accept 'use_model'
add model "config.json a FIFO" refuse 'use_model; fifo "$dir/model/config.json"'
add model "config.json /dev/zero" refuse 'use_model; rm "$dir/model/config.json"; ln -s /dev/zero "$dir/model/config.json"'
add model "config.json not JSON" refuse 'use_model; echo "{" > "$dir/model/config.json"'
add model "config.json missing" refuse 'use_model; rm "$dir/model/config.json"'
add model "max_position_embeddings 0" refuse 'use_model; cfg "d[\"max_position_embeddings\"]=0"'
add model "sliding_window -5" refuse 'use_model; cfg "d[\"sliding_window\"]=-5"'
add model "hidden_size -1" refuse 'use_model; cfg "d[\"hidden_size\"]=-1"'
add model "vocab_size 0" refuse 'use_model; cfg "d[\"vocab_size\"]=0"'
add model "heads not dividing hidden" refuse 'use_model; cfg "d[\"num_attention_heads\"]=3"'
add model "rope_theta a string" refuse 'use_model; cfg "d[\"rope_theta\"]=\"x\""'
add model "rope_theta negative" refuse 'use_model; cfg "d[\"rope_theta\"]=-1"'
add model "rms_norm_eps negative" refuse 'use_model; cfg "d[\"rms_norm_eps\"]=-1"'
add model "hidden_act unknown" refuse 'use_model; cfg "d[\"hidden_act\"]=\"swish9\""'
add model "model_type unknown" refuse 'use_model; cfg "d[\"model_type\"]=\"gpt9\""'
add model "an unknown field that changes the math" refuse 'use_model; cfg "d[\"attention_softcap\"]=30"'
add model "num_hidden_layers 10^9" refuse 'use_model; cfg "d[\"num_hidden_layers\"]=10**9"'
add model "hidden_size 10^6 (too large to plan)" refuse 'use_model; cfg "d[\"hidden_size\"]=10**6; d[\"intermediate_size\"]=10**6"'
add model "tokenizer.json not JSON" refuse 'use_model; echo "{" > "$dir/model/tokenizer.json"'
add model "tokenizer.json a FIFO" refuse 'use_model; fifo "$dir/model/tokenizer.json"'
add model "tokenizer.json empty object" refuse 'use_model; echo "{}" > "$dir/model/tokenizer.json"'
st() { raw "$dir/model/model.safetensors" "$1"; }
add model "safetensors a FIFO" refuse 'use_model; fifo "$dir/model/model.safetensors"'
add model "safetensors empty" refuse 'use_model; : > "$dir/model/model.safetensors"'
add model "safetensors header length 2^60" refuse 'use_model; st "b[0:8]=struct.pack(\"<Q\",2**60)"'
add model "safetensors header not JSON" refuse 'use_model; st "b[8:12]=b\"@@@@\""'
add model "safetensors truncated" refuse 'use_model; st "del b[len(b)//2:]"'
safetensors_header() {  # rewrites the header with python statements on h (a dict)
  raw "$dir/model/model.safetensors" "import json; n=struct.unpack(\"<Q\",b[:8])[0]; h=json.loads(b[8:8+n]); $1; j=json.dumps(h).encode(); j+=b\" \"*((8-len(j)%8)%8); b[:8+n]=struct.pack(\"<Q\",len(j))+j"
}
add model "a BOOL tensor for a float weight" refuse 'use_model; safetensors_header "k=[k for k in h if k.endswith(\"norm.weight\")][0]; h[k][\"dtype\"]=\"BOOL\"; s=h[k][\"data_offsets\"][0]; h[k][\"data_offsets\"][1]=s+h[k][\"shape\"][0]"'
add model "a tensor of the wrong shape" refuse 'use_model; safetensors_header "k=[k for k in h if k.endswith(\"gate_proj.weight\")][0]; h[k][\"shape\"]=[h[k][\"shape\"][1],h[k][\"shape\"][0]]"'
add model "offsets past the end" refuse 'use_model; safetensors_header "k=[k for k in h if k!=\"__metadata__\"][0]; h[k][\"data_offsets\"]=[0,10**12]"'
add model "overlapping offsets" refuse 'use_model; safetensors_header "ks=[k for k in h if k!=\"__metadata__\"]; h[ks[1]][\"data_offsets\"]=h[ks[0]][\"data_offsets\"]"'
add model "a tensor missing" refuse 'use_model; safetensors_header "k=[k for k in h if k.endswith(\"up_proj.weight\")][0]; del h[k]"'
add model "dtype unknown" refuse 'use_model; safetensors_header "k=[k for k in h if k!=\"__metadata__\"][0]; h[k][\"dtype\"]=\"F7\""'
add model "frozenWeights nf4" accept 'use_model; edit "$dir/experiment.json" "d[\"model\"][\"backbone\"][\"options\"][\"frozenWeights\"]=\"nf4\"; d[\"model\"][\"adapter\"]={\"type\":\"lora\"}"'
add model "frozenWeights nf4 with a full fine-tune" refuse 'use_model; edit "$dir/experiment.json" "d[\"model\"][\"backbone\"][\"options\"][\"frozenWeights\"]=\"nf4\""'
add model "path a missing folder" refuse 'use_model; edit "$dir/experiment.json" "d[\"model\"][\"backbone\"][\"options\"][\"path\"]=\"nope\""'

# --- checkpoints and run folders -----------------------------------------------------------------------------------
add checkpoint "resume a finished run" refuse 'use_run'
add checkpoint "state.json not JSON" refuse 'use_run; echo "{" > "$dir/run/checkpoint/state.json"'
add checkpoint "state.json a FIFO" refuse 'use_run; fifo "$dir/run/checkpoint/state.json"'
add checkpoint "state.json /dev/zero" refuse 'use_run; rm "$dir/run/checkpoint/state.json"; ln -s /dev/zero "$dir/run/checkpoint/state.json"'
add checkpoint "task index -1" refuse 'use_run; state "d[\"position\"][\"taskIndex\"]=-1"'
add checkpoint "task index 99" refuse 'use_run; state "d[\"position\"][\"taskIndex\"]=99"'
add checkpoint "step -3" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=-3)"'
add checkpoint "step 10^9" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=10**9, globalStep=10**9+8)"'
add checkpoint "global step inconsistent" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=1000)"'
add checkpoint "task seconds NaN" refuse 'use_run; state "d[\"position\"][\"taskSeconds\"]=\"NaN\""'
add checkpoint "step log length -1" refuse 'use_run; state "d[\"journal\"][\"stepLogLength\"]=-1"'
add checkpoint "step log length 10^12" refuse 'use_run; state "d[\"journal\"][\"stepLogLength\"]=10**12"'
add checkpoint "format 99" refuse 'use_run; state "d[\"format\"]=99"'
add checkpoint "model weights truncated" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10)"; raw "$dir/run/checkpoint/model.safetensors" "del b[len(b)//2:]"'
add checkpoint "model weights a FIFO" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10)"; fifo "$dir/run/checkpoint/model.safetensors"'
add checkpoint "optimizer state garbage" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10)"; echo garbage > "$dir/run/checkpoint/optimizer.bin"'
add checkpoint "a prediction file damaged" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10)"; echo "{broken" >> "$(ls "$dir"/run/predictions/*.jsonl | head -1)"'
add checkpoint "results.json garbage" refuse 'use_run; echo garbage > "$dir/run/results.json"'
add checkpoint "results.json a FIFO" refuse 'use_run; fifo "$dir/run/results.json"'
add checkpoint "leftover results.json.123.tmp, mid-run" accept 'use_run; midrun; echo partial > "$dir/run/results.json.123.tmp"'
add checkpoint "steps.csv truncated" refuse 'use_run; state "d[\"position\"].update(taskIndex=1, step=2, globalStep=10)"; : > "$dir/run/steps.csv"'
add checkpoint "resume a folder that is no run" refuse 'mkdir "$dir/norun"; ARGS=(run --resume "$dir/norun")'
add checkpoint "resume a missing folder" refuse 'ARGS=(run --resume "$dir/missing")'
add checkpoint "resume a file" refuse 'ARGS=(run --resume "$dir/experiment.json")'

# --- environment and command line ----------------------------------------------------------------------------------
envcase() { ENV_EXTRA=("$@"); }
add environment "COIN_TRAINING__EPOCHS=abc" refuse 'envcase COIN_TRAINING__EPOCHS=abc'
add environment "COIN_SEED=-1" refuse 'envcase COIN_SEED=-1'
add environment "COIN_THREADS=1000000000" refuse 'envcase COIN_THREADS=1000000000'
add environment "COIN_DEVICE=gpu" refuse 'envcase COIN_DEVICE=gpu'
add environment "COIN_DATA__TYPE=nope" refuse 'envcase COIN_DATA__TYPE=nope'
add environment "COIN_NOT_A_KEY=1 (warned, run goes on)" accept 'envcase COIN_NOT_A_KEY=1'
add environment "HOME unset" accept 'envcase -u HOME'
add environment "TMPDIR missing" accept 'envcase TMPDIR=/nonexistent'
add environment "--set training.epocs=1" refuse 'ARGS=(run experiment.json --set training.epocs=1)'
add environment "--set with no =" refuse 'ARGS=(run experiment.json --set training.epochs)'
add environment "--seed abc" refuse 'ARGS=(run experiment.json --seed abc)'
add environment "--device gpu" refuse 'ARGS=(run experiment.json --device gpu)'
add environment "--output empty" refuse 'ARGS=(run experiment.json --output "")'
add environment "--plugins a missing folder" refuse 'ARGS=(run experiment.json --plugins "$dir/nope")'
add environment "--plugins a folder of garbage DLLs" refuse 'mkdir -p "$dir/plugins/bad"; head -c 4096 /dev/urandom > "$dir/plugins/bad/bad.dll"; ARGS=(run experiment.json --plugins "$dir/plugins")'
add environment "unknown command" refuse 'ARGS=(rnu experiment.json)'
add environment "unknown option" refuse 'ARGS=(run experiment.json --colour)'

# --- the disk ------------------------------------------------------------------------------------------------------
add disk "output folder read-only" refuse 'mkdir -p "$dir/ro"; chmod 555 "$dir/ro"; edit "$dir/experiment.json" "d[\"output\"]=\"ro\""; [[ $EUID == 0 ]] && SKIP="root ignores permissions"'
add disk "output a file" refuse 'echo x > "$dir/runs"'
add disk "output under /proc" refuse 'edit "$dir/experiment.json" "d[\"output\"]=\"/proc/coin\""'
add disk "output /dev/full (a device)" refuse 'ln -s /dev/full "$dir/runs"'
add disk "full disk (a 2 MB tmpfs)" refuse 'if [[ $EUID == 0 ]] && mkdir -p "$dir/small" && mount -t tmpfs -o size=2m tmpfs "$dir/small" 2>/dev/null; then edit "$dir/experiment.json" "d[\"output\"]=\"small\""; UNMOUNT=$dir/small; else SKIP="needs root to mount a tmpfs"; fi'

# --- the campaign --------------------------------------------------------------------------------------------------
declare -A COUNT=()
table=$work/outcomes.md
{
  echo "| # | input | case | expected | outcome | exit | seconds | first line of the message |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$table"
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}; category=${CATEGORIES[$i]}; expect=${EXPECTS[$i]}
  [[ -n $filter && $name != *$filter* && $category != *$filter* ]] && continue
  dir=$work/cases/$(printf %03d "$i")
  mkdir -p "$dir" && cp -r "$base_data" "$dir/data" && write_experiment
  ARGS=(run experiment.json); ENV_EXTRA=(); SKIP=""; UNMOUNT=""
  eval "${SETUPS[$i]}"
  if [[ -n $SKIP ]]; then
    outcome="skipped"; code="-"; seconds=0; message=$SKIP
  else
    started=$(date +%s.%N)
    (cd "$dir" && timeout -s KILL "$limit" env "${ENV_EXTRA[@]}" "$coin" "${ARGS[@]}" > "$dir/out.txt" 2> "$dir/err.txt" < /dev/null)
    code=$?
    seconds=$(printf %.1f "$(echo "$(date +%s.%N) - $started" | bc)")
    if [[ $code == 137 ]]; then outcome="hang"
    elif grep -qE '^\s+at |Unhandled exception' "$dir/err.txt" "$dir/out.txt"; then outcome="stack trace"
    elif (( code > 128 )); then outcome="stack trace"   # abort, segfault
    elif [[ $code == 0 ]]; then [[ $expect == refuse ]] && outcome="silently accepted" || outcome="accepted as intended"
    elif [[ $code == 2 ]] && grep -q '^error: ' "$dir/err.txt"; then
      [[ $expect == accept ]] && outcome="refused although ok" || outcome="clear error"
    else outcome="other"
    fi
    [[ $expect == refuse_or_accept && $outcome == "silently accepted" ]] && outcome="accepted as intended"
    message=$(grep -m1 -v '^\s*$' "$dir/err.txt" | cut -c1-160 | sed 's/|/\\|/g')
    [[ -z $message ]] && message=$(tail -n1 "$dir/out.txt" | cut -c1-160 | sed 's/|/\\|/g')
  fi
  [[ -n $UNMOUNT ]] && umount "$UNMOUNT" 2>/dev/null
  COUNT[$outcome]=$(( ${COUNT[$outcome]:-0} + 1 ))
  echo "| $((i + 1)) | $category | $name | $expect | $outcome | $code | $seconds | ${message//$work/WORK} |" >> "$table"
  printf '%3d %-12s %-45s %-22s %5ss\n' "$((i + 1))" "$category" "$name" "$outcome" "$seconds" >&2
done
{
  echo
  echo "| outcome | cases |"
  echo "|---|---|"
  for outcome in "clear error" "accepted as intended" "silently accepted" "refused although ok" "stack trace" "hang" "other" "skipped"; do
    echo "| $outcome | ${COUNT[$outcome]:-0} |"
  done
} >> "$table"
cat "$table"
