#!/usr/bin/python3
"""A linear probe on the held-out stream's images: how well raw pixels alone answer each task (issue 30).

    /usr/bin/python3 experiments/general/linear_probe.py [--data DIR] [--size 32 [48 64]] [--seed 1]

For each task of DIR/manifest.json (written by prepare.py): multinomial logistic regression on the pixels at
SIZE x SIZE RGB, resized from the 64 px PNG as Coin's image encoder resizes it (Pillow's bicubic, `resize` mode),
standardised with the training set's per-pixel mean and deviation. Trained with an L-BFGS written here (numpy only)
on mean cross-entropy + lambda/2 |W|^2; lambda is chosen on a split of the training rows only (held-out groups where
the task has them: card decks, flag drawing styles), then the model is refitted on all training rows and scored once
on the test rows. Cards: the probe predicts the 52-way card and answers the option whose card it rates highest.
Prints a Markdown table and writes DIR/linear-probe.json.
"""
import os

# One BLAS thread: reproducible sums, and a polite neighbour on a shared 2-core machine.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse
import json
import random
import re
import time

import numpy as np
from PIL import Image

from prepare import default_out  # the folder prepare.py writes by default (this script's folder is on the path)

LAMBDAS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]


def pixels(folder, paths, size):
    """[n, size*size*3] in 0..1: the 64 px PNGs resized with Pillow's bicubic filter (what the encoder sees)."""
    out = np.empty((len(paths), size * size * 3), dtype=np.float64)
    for i, path in enumerate(paths):
        with Image.open(os.path.join(folder, path)) as image:
            image = image.convert("RGB")
            if image.size != (size, size):
                image = image.resize((size, size), Image.BICUBIC)
            out[i] = np.asarray(image, dtype=np.float64).reshape(-1) / 255.0
    return out


# ----------------------------------------------------------------------------------------------- the model

def loss_and_gradient(theta, x, y, classes, lam):
    """Mean cross-entropy of softmax(x W + b) plus lam/2 |W|^2 (the bias is not penalised), and its gradient."""
    d = x.shape[1]
    w, b = theta[:d * classes].reshape(d, classes), theta[d * classes:]
    logits = x @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_p[np.arange(n), y].mean() + 0.5 * lam * (w * w).sum()
    p = np.exp(log_p)
    p[np.arange(n), y] -= 1.0
    p /= n
    grad_w = x.T @ p + lam * w
    return loss, np.concatenate([grad_w.reshape(-1), p.sum(axis=0)])


def lbfgs(function, theta, iterations=500, memory=10, tolerance=1e-7):
    """Limited-memory BFGS (two-loop recursion) with a backtracking Armijo line search; stops when the loss changes
    by less than `tolerance` (relative) or the gradient vanishes."""
    loss, grad = function(theta)
    s_list, y_list = [], []
    for _ in range(iterations):
        q = grad.copy()
        history = []
        for s, y in zip(reversed(s_list), reversed(y_list)):
            rho = 1.0 / (y @ s)
            alpha = rho * (s @ q)
            q -= alpha * y
            history.append((rho, alpha, s, y))
        q *= (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1]) if s_list else 1.0 / max(1.0, np.linalg.norm(grad))
        for rho, alpha, s, y in reversed(history):
            q += s * (alpha - rho * (y @ q))
        direction = -q
        slope = grad @ direction
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_list, y_list = [], []
            direction, slope = -grad, -(grad @ grad)
        step = 1.0
        while True:
            candidate = theta + step * direction
            new_loss, new_grad = function(candidate)
            if new_loss <= loss + 1e-4 * step * slope:
                break
            step *= 0.5
            if step < 1e-12:
                return theta
        s, y = candidate - theta, new_grad - grad
        if s @ y > 1e-12:
            s_list.append(s)
            y_list.append(y)
            if len(s_list) > memory:
                s_list.pop(0)
                y_list.pop(0)
        converged = abs(loss - new_loss) <= tolerance * max(1.0, abs(loss)) or np.linalg.norm(new_grad) < 1e-8
        theta, loss, grad = candidate, new_loss, new_grad
        if converged:
            break
    return theta


class Probe:
    def __init__(self, x, y, classes, lam):
        self.mean = x.mean(axis=0)
        self.std = x.std(axis=0) + 1e-3  # constant pixels (a white border) stay finite
        z = (x - self.mean) / self.std
        self.d, self.classes = x.shape[1], classes
        theta = lbfgs(lambda t: loss_and_gradient(t, z, y, classes, lam), np.zeros(self.d * classes + classes))
        self.w, self.b = theta[:self.d * classes].reshape(self.d, classes), theta[self.d * classes:]

    def log_probabilities(self, x):
        logits = ((x - self.mean) / self.std) @ self.w + self.b
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def folds(labels, groups, rng):
    """Validation splits of the training rows. Five or more groups (card decks): a fifth of the groups held out.
    Two to four (flag drawing styles): each group held out in turn. One group (Fashion): a stratified fifth."""
    names = sorted(set(groups))
    n = len(labels)
    if len(names) >= 5:
        held = set(rng.sample(names, max(1, round(len(names) / 5))))
        val = [i for i in range(n) if groups[i] in held]
        return [([i for i in range(n) if groups[i] not in held], val)], f"{len(held)} of {len(names)} groups held out"
    if len(names) >= 2:
        return [([i for i in range(n) if groups[i] != g], [i for i in range(n) if groups[i] == g]) for g in names], \
            f"leave one group out ({', '.join(names)})"
    val = []
    for c in sorted(set(labels)):
        members = [i for i in range(n) if labels[i] == c]
        val += rng.sample(members, max(1, round(len(members) / 5)))
    val = sorted(val)
    chosen = set(val)
    return [([i for i in range(n) if i not in chosen], val)], "stratified fifth held out"


# ----------------------------------------------------------------------------------------------- one task

OPTION = re.compile(r"^([A-E])\. (.+)$", re.M)


def probe_task(folder, task, size, seed):
    with open(os.path.join(folder, task["train"]), encoding="utf-8") as f:
        train = json.load(f)
    with open(os.path.join(folder, task["test"]), encoding="utf-8") as f:
        test = json.load(f)
    with open(os.path.join(folder, os.path.dirname(task["train"]), "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    train_labels = [meta[r["image"]]["label"] for r in train]
    test_labels = [meta[r["image"]]["label"] for r in test]
    classes = sorted(set(train_labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in train_labels])
    x_train = pixels(folder, [r["image"] for r in train], size)
    x_test = pixels(folder, [r["image"] for r in test], size)

    rng = random.Random(f"{seed}/{task['name']}")
    splits, split_rule = folds(train_labels, [meta[r["image"]]["group"] for r in train], rng)
    scores = []
    for lam in LAMBDAS:
        accuracy, log_loss = [], []
        for fit_rows, val_rows in splits:
            probe = Probe(x_train[fit_rows], y[fit_rows], len(classes), lam)
            log_p = probe.log_probabilities(x_train[val_rows])
            accuracy.append(float((log_p.argmax(axis=1) == y[val_rows]).mean()))
            log_loss.append(float(-log_p[np.arange(len(val_rows)), y[val_rows]].mean()))
        scores.append({"lambda": lam, "val_accuracy": float(np.mean(accuracy)), "val_log_loss": float(np.mean(log_loss))})
    # Best validation accuracy; a tie goes to the lower validation loss.
    best = max(scores, key=lambda s: (round(s["val_accuracy"], 9), -s["val_log_loss"]))
    probe = Probe(x_train, y, len(classes), best["lambda"])
    log_p = probe.log_probabilities(x_test)
    predicted = [classes[i] for i in log_p.argmax(axis=1)]
    class_accuracy = float(np.mean([p == t for p, t in zip(predicted, test_labels)]))
    result = {"classes": len(classes), "train": len(train), "test": len(test), "lambda": best["lambda"],
              "lambda_split": split_rule, "lambda_scores": scores, "class_accuracy": class_accuracy,
              "chance": 1.0 / len(classes)}
    if task["metric"] == "option-letter":
        # Answer the option whose card the probe rates highest; the options' texts are the card names.
        correct = 0
        for row, scores_row in zip(test, log_p):
            options = OPTION.findall(row["text"])
            letter = max(options, key=lambda o: scores_row[index[o[1]]] if o[1] in index else -np.inf)[0]
            correct += letter == row["answer"]
        letters = [row["answer"] for row in test]
        result.update({"accuracy": correct / len(test), "letter_prior": max(letters.count(l) for l in set(letters)) / len(test),
                       "metric": "option-letter (probe picks the option whose card it rates highest)"})
    else:
        result.update({"accuracy": class_accuracy, "metric": "exact-match (the predicted class name)"})
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=default_out(), help="the folder prepare.py wrote (default: %(default)s)")
    parser.add_argument("--size", type=int, nargs="+", default=[32], help="image side(s) the probe sees (default: 32)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(os.path.join(args.data, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    results = {"seed": args.seed, "data_seed": manifest["seed"], "lambdas": LAMBDAS, "sizes": {}}
    lines = ["| task | size | classes | train / test | λ (chosen on train) | chance | probe test accuracy |", "|---|---|---|---|---|---|---|"]
    for size in args.size:
        per_task = {}
        for task in manifest["tasks"]:
            start = time.time()
            r = probe_task(args.data, task, size, args.seed)
            r["seconds"] = round(time.time() - start, 1)
            per_task[task["name"]] = r
            if task["metric"] == "option-letter":
                chance = f"{r['letter_prior']:.1%} (letter prior); 52-way {r['chance']:.1%}"
                accuracy = f"**{r['accuracy']:.1%}** (option); 52-way {r['class_accuracy']:.1%}"
            else:
                chance, accuracy = f"{r['chance']:.1%}", f"**{r['accuracy']:.1%}**"
            lines.append(f"| {task['name']} | {size} | {r['classes']} | {r['train']} / {r['test']} | {r['lambda']:g} ({r['lambda_split']}) | {chance} | {accuracy} |")
            print(f"{task['name']} at {size} px: {r['accuracy']:.3f} in {r['seconds']} s", flush=True)
        results["sizes"][str(size)] = per_task
    table = "\n".join(lines)
    results["table"] = table
    print("\n" + table)
    with open(os.path.join(args.data, "linear-probe.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
