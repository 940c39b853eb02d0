#!/usr/bin/env python3
"""Summarises a WORK_DIR of experiments/scale/llava-7b.sh as Markdown (docs/scale.md quotes it).

Model FLOPs of one training sample of T positions (recomputation not counted; attention counted as the full T x T
products, PaLM's convention):
  language model, frozen base with LoRA:  forward F = 2 N T + 4 L H T^2, backward (activation gradients only,
      the base has no weight gradients) another F, and LoRA 6 N_lora T          -> 2F + 6 N_lora T
  vision tower, frozen, forward only:      2 N_vision V + 4 L_v H_v V^2          (V = patches + 1)
  projector, trained:                      6 N_projector (V - 1)
N counts the weights of linear layers (embedding lookups are no products). T per task is the longest training
sequence the plan reports for it; tasks here hold rows of one length up to a few bytes of the answer.
"""
import glob, json, os, re, sys

work = sys.argv[1]
config = json.load(open(os.path.join(work, "llava-1.5-7b", "config.json")))
text, vision = config["text_config"], config["vision_config"]
H, I, L, V = text["hidden_size"], text["intermediate_size"], text["num_hidden_layers"], text["vocab_size"]
Hv, Iv, Lv = vision["hidden_size"], vision["intermediate_size"], vision["num_hidden_layers"]
patches = (vision["image_size"] // vision["patch_size"]) ** 2
N = L * (4 * H * H + 3 * H * I) + H * V
N_vision = Lv * (4 * Hv * Hv + 2 * Hv * Iv)
N_projector = Hv * H + H * H
rank = 128
N_lora = L * (4 * rank * (H + H) + 3 * rank * (H + I))

def sample_flops(T):
    forward = 2 * N * T + 4 * L * H * T * T
    tower = 2 * N_vision * (patches + 1) + 4 * Lv * Hv * (patches + 1) ** 2
    return 2 * forward + 6 * N_lora * T + tower + 6 * N_projector * patches

def read(path):
    return open(path).read() if os.path.exists(path) else ""

peaks = read(os.path.join(work, "peaks.txt"))
m = re.search(r"matmul peak float32 ([0-9.]+) GFLOP/s.*bfloat16 ([0-9.]+) GFLOP/s", peaks)
peak32, peak16 = (float(m.group(1)), float(m.group(2))) if m else (float("nan"), float("nan"))
commit = read(os.path.join(work, "commit.txt")).strip()
print(f"Commit {commit}. Matmul peaks measured in the same sitting: float32 {peak32:.0f} GFLOP/s, bfloat16 {peak16:.0f} GFLOP/s.\n")
print("| run | plan's peak estimate | measured peak RSS | estimate / measured | load | s / step | achieved GFLOP/s | of the peak of its precision | accuracy matrix | status |")
print("|---|---|---|---|---|---|---|---|---|---|")
for time_file in sorted(glob.glob(os.path.join(work, "*.time.txt"))):
    name = os.path.basename(time_file)[: -len(".time.txt")]
    plan = read(os.path.join(work, name.replace("killed-", "") + ".plan.txt"))
    log = read(os.path.join(work, name + ".log"))
    rss_kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", read(time_file))
    rss = int(rss_kb.group(1)) / 2**20 if rss_kb else float("nan")
    estimate = re.search(r"peak estimate: .*= ([0-9.]+) GiB", plan)
    estimate = float(estimate.group(1)) if estimate else float("nan")
    load = re.search(r"components ready in ([0-9.]+) s", log)
    positions = {t: int(n.replace(",", "")) for t, n in re.findall(r"task \d+: (\S+)\s+│\s+[\d,]+\s+│\s+[\d,]+\s+│\s+([\d,]+)", plan)}
    results = sorted(glob.glob(os.path.join(work, "runs", name, "*", "results.json")))
    if not results:
        print(f"| {name} | {estimate:.2f} GiB | {rss:.2f} GiB | | | | | | | no run folder |")
        continue
    r = json.load(open(results[-1]))
    steps = sum(t["steps"] for t in r["training"])
    seconds = sum(t["trainSeconds"] for t in r["training"])
    flops = sum(t["samples"] * sample_flops(positions.get(t["task"], 0)) for t in r["training"])
    gflops = flops / seconds / 1e9 if seconds else float("nan")
    matrix = " / ".join(" ".join(f"{a:.0f}" for a in row) for row in r.get("accuracyMatrix", []))
    # A run named ...-bfloat16 computed its products in bfloat16 (training.precision), the others in float32.
    peak, precision = (peak16, "bfloat16") if name.endswith("-bfloat16") else (peak32, "float32")
    print(f"| {name} | {estimate:.2f} GiB | {rss:.2f} GiB | {estimate / rss:.2f} | {float(load.group(1)) if load else float('nan'):.0f} s | "
          f"{seconds / max(steps, 1):.0f} | {gflops:.1f} | {100 * gflops / peak:.0f}% of {precision} | {matrix} | {r['status']} |")

killed = sorted(glob.glob(os.path.join(work, "runs", "killed-*", "*")))
if killed:
    name = os.path.basename(os.path.dirname(killed[0]))[len("killed-"):]
    reference = sorted(glob.glob(os.path.join(work, "runs", name, "*")))
    print()
    if not reference:
        print(f"No uninterrupted run '{name}' to compare the killed and resumed one with.")
    else:
        a, b = reference[-1], killed[-1]
        compared = ["accuracy-matrix.csv", "steps.csv"] + sorted(
            os.path.relpath(p, a) for pattern in ["predictions/*.jsonl", "stages/*.safetensors"] for p in glob.glob(os.path.join(a, pattern)))
        for file in compared:
            same = os.path.exists(os.path.join(b, file)) and open(os.path.join(a, file), "rb").read() == open(os.path.join(b, file), "rb").read()
            print(f"- killed and resumed vs uninterrupted, `{file}`: {'identical' if same else 'DIFFERENT'}")
