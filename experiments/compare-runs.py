#!/usr/bin/env python3
"""Compares two run folders of the same experiment: accuracy matrix, scores, losses, continual metrics, steps.csv,
accuracy-matrix.csv and the prediction files must be equal byte for byte (times and dates may differ).
Prints what differs and exits 1, or exits 0 silently. Used by experiments/crash-campaign.sh and same-results.sh.
Usage: compare-runs.py REFERENCE CANDIDATE [--replace OLD NEW]  (OLD replaced by NEW in the reference's prediction
files first: two runs whose data lie in different folders name their input files differently)."""
import json, os, sys

def load(folder):
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
        return json.load(f)

def read(path):
    with open(path, "rb") as f:
        return f.read()

reference, candidate = sys.argv[1], sys.argv[2]
replace = (sys.argv[4].encode(), sys.argv[5].encode()) if len(sys.argv) == 6 and sys.argv[3] == "--replace" else None
a, b = load(reference), load(candidate)
problems = []
if b.get("status") != "completed":
    problems.append(f"status {b.get('status')!r}")
for key in ("tasks", "accuracyMatrix", "zeroShot", "scores", "metrics"):
    if a.get(key) != b.get(key):
        problems.append(f"results.json {key}")
losses = lambda r: [(t["task"], t["samples"], t["steps"], t["firstLoss"], t["finalLoss"]) for t in r.get("training", [])]
if losses(a) != losses(b):
    problems.append("results.json training losses")
for name in ("steps.csv", "accuracy-matrix.csv", "report.md"):
    pa, pb = os.path.join(reference, name), os.path.join(candidate, name)
    if not os.path.exists(pb):
        problems.append(f"{name} missing")
    elif name != "report.md" and read(pa) != read(pb):
        problems.append(name)
predictions = lambda folder: sorted(os.listdir(os.path.join(folder, "predictions")))
if predictions(reference) != predictions(candidate):
    problems.append("prediction files")
else:
    for name in predictions(reference):
        expected = read(os.path.join(reference, "predictions", name))
        if replace:
            expected = expected.replace(*replace)
        if expected != read(os.path.join(candidate, "predictions", name)):
            problems.append(f"predictions/{name}")
if problems:
    print(", ".join(problems))
    sys.exit(1)
