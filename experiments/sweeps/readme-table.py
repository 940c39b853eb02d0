#!/usr/bin/env python3
"""A README methods table from a comparison.csv that keep-cells.sh wrote (results/paper-regime/ or results/mini-coin-methods/):
one row per method in the README's order, mean ± sample std over the seeds kept so far, and how many seeds that is. For `independent`
only plasticity (each task's own model on its own task) is shown, for `multitask` only ACC (its last row, the model
tuned on every task at once): their other columns do not mean what they mean for a continual method.
Usage: python3 experiments/sweeps/readme-table.py [comparison.csv]     (default: the paper regime's)"""
import csv, sys

PAPER_ROWS = [  # (sweep method, label)
    ("lora", "sequential LoRA"),
    ("moelora-e2", "MoELoRA E = 2"),
    ("moelora-e4", "MoELoRA E = 4"),
    ("moelora-e8", "MoELoRA E = 8"),
    ("llaca", "LLaCA (released per-task switch)"),
    ("ema", "fixed EMA (α = 0.01)"),
    ("replay", "replay (64 per task)"),
    ("ewc", "EWC (λ = 100)"),
    ("lwf", "LwF (T = 2, λ = 1)"),
    ("agem", "A-GEM (memory 64 per task)"),
    ("si", "SI (c = 0.1, ξ = 10⁻³)"),
    ("dora", "DoRA (sequential)"),
    ("olora", "O-LoRA (λ1 = 0.5)"),
    ("lora-bank", "LoRA bank, task-agnostic routing"),
    ("independent", "*single task (independent)*"),
    ("multitask", "*multitask (joint, last row)*"),
]
# The built-in stream's methods run with their plugins' defaults (experiments/sweeps/mini-coin-methods.json).
BUILT_IN_ROWS = [
    ("sequential", "sequential (full fine-tuning)"),
    ("ema", "EMA (α = 0.01)"),
    ("llaca", "LLaCA (k = 2, α0 = 0.01)"),
    ("ewc", "EWC (λ = 100)"),
    ("lwf", "LwF (T = 2, λ = 1)"),
    ("si", "SI (c = 0.1, ξ = 10⁻³)"),
    ("replay", "replay (64 per task)"),
    ("agem", "A-GEM (memory 64 per task)"),
    ("lora", "sequential LoRA (r = 8)"),
    ("moelora", "MoELoRA (r = 8, E = 4)"),
    ("dora", "DoRA (r = 8, sequential)"),
    ("olora", "O-LoRA (r = 8, λ1 = 0.5)"),
    ("lora-bank", "LoRA bank, task-agnostic routing"),
    ("independent", "*single task (independent)*"),
    ("multitask", "*multitask (joint, last row)*"),
]
# The LoRA bank routing on other features than the instruction (experiments/sweeps/paper-bank-routing.json).
BANK_ROUTING_ROWS = [
    ("lora-bank-inputs", "LoRA bank, routed on image features"),
    ("lora-bank-both", "LoRA bank, routed on instruction and image features"),
]
ROWS_BY_SWEEP = {"mini-coin-methods": BUILT_IN_ROWS, "paper-methods": PAPER_ROWS, "paper-bank-routing": BANK_ROUTING_ROWS}
COLUMNS = ["acc", "maa", "bwt", "forgetting", "plasticity"]


def cell(row, column):
    mean, std = float(row[column]), float(row[column + "_std"])
    text = f"{mean:.1f}".replace("-", "−")
    return text if len(row["seeds"].split()) < 2 else f"{text} ± {std:.1f}"


path = sys.argv[1] if len(sys.argv) > 1 else "results/paper-regime/comparison.csv"
table = list(csv.DictReader(open(path, encoding="utf-8")))
rows = {r["method"].split(".", 1)[1]: r for r in table}
ROWS = ROWS_BY_SWEEP.get(table[0]["method"].split(".", 1)[0], PAPER_ROWS) if table else PAPER_ROWS
# A row this table has no label for (another method, or one evaluated task-aware: "x (task-aware)") is named, not dropped.
for method in rows.keys() - {m for m, _ in ROWS}:
    print(f"left out of the table (no row for it): {method}", file=sys.stderr)
print("| method | seeds | ACC | MAA | BWT | forgetting | plasticity |")
print("|---|---:|---:|---:|---:|---:|---:|")
for method, label in ROWS:
    row = rows.get(method)
    if row is None:
        print(f"| {label} | 0 | — | — | — | — | — |")
        continue
    shown = {"independent": ["plasticity"], "multitask": ["acc"]}.get(method, COLUMNS)
    values = [cell(row, c) if c in shown else "—" for c in COLUMNS]
    print(f"| {label} | {len(row['seeds'].split())} | " + " | ".join(values) + " |")
