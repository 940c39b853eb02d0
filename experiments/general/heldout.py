#!/usr/bin/env python3
"""Writes the general regime's held-out stream (experiments/general/README.md) in coin-files' format, from Debian and
npm packages fetched into DIR/../general-downloads, deterministically from --seed (the same bytes on a rerun):

  Fashion  Fashion-MNIST photos (Debian dataset-fashion-mnist, MIT): the clothing class, 10-way, open answer
  Cards    gnome-cards-data decks (GPL-3+): which card, CoIN's lettered multiple choice of 4; test decks unseen
  Flags    svg-country-flags (PD), flag-icons (MIT), iso-flags-png-320x240 (PD): 24 countries, open answer;
           training and test use different drawings of each flag

Then a linear probe (multinomial logistic regression on the pixels at --probe-size, numpy only) per task, written to
DIR/linear-probe.json and printed as a table. Run as root with Debian's python3 (PIL, numpy; it installs
librsvg2-bin for rsvg-convert when missing):
    /usr/bin/python3 experiments/general/heldout.py [--out DIR] [--seed 1] [--probe-size 32]
DIR defaults to $COIN_HOME/data/general/heldout (else $XDG_CACHE_HOME/coin/..., else ~/.cache/coin/...).
"""
import argparse
import glob
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile

import numpy as np
from PIL import Image

SIZE = 64  # written images are 64x64 RGB; the encoder resizes to what it sees

FASHION = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
RANKS = ["ace", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "jack", "queen", "king"]
SUITS = ["clubs", "diamonds", "hearts", "spades"]  # the rows of a gnome-cards deck sheet, top to bottom
LETTERS = "ABCD"
MC_SUFFIX = "Answer with the option's letter from the given choices directly."


def default_out():
    home = os.environ.get("COIN_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coin")
    return os.path.join(home, "data", "general", "heldout")


def debian(package, downloads):
    """The unpacked package folder, downloaded with apt-get when missing."""
    target = os.path.join(downloads, package)
    if not os.path.isdir(target):
        debs = glob.glob(os.path.join(downloads, f"{package}_*.deb"))
        if not debs:
            subprocess.run(["apt-get", "download", package], cwd=downloads, check=True, stdout=subprocess.DEVNULL)
            debs = glob.glob(os.path.join(downloads, f"{package}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", sorted(debs)[0], target], check=True)
    return target


def npm(spec, downloads):
    name = spec.rsplit("@", 1)[0]
    target = os.path.join(downloads, name)
    if not os.path.isdir(target):
        tgz = glob.glob(os.path.join(downloads, f"{name}-*.tgz"))
        if not tgz:
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=downloads, check=True, stdout=subprocess.DEVNULL)
            tgz = glob.glob(os.path.join(downloads, f"{name}-*.tgz"))
        with tarfile.open(sorted(tgz)[0]) as t:
            t.extractall(target)
    return os.path.join(target, "package")


def rsvg(svg, png, width=None, height=None):
    args = ["rsvg-convert", "-b", "white"] + (["-w", str(width)] if width else []) + (["-h", str(height)] if height else [])
    subprocess.run(args + ["--keep-aspect-ratio", svg, "-o", png], check=True)


def on_canvas(image, rng=None, augment=False):
    """Fitted inside a white 64x64 square, aspect kept; augmented: scaled to 70-100% and shifted at random."""
    image = image.convert("RGBA")
    white = Image.new("RGBA", image.size, "white")
    image = Image.alpha_composite(white, image).convert("RGB")
    scale = rng.uniform(0.7, 1.0) if augment else 1.0
    w, h = image.size
    fit = SIZE * scale / max(w, h)
    image = image.resize((max(1, round(w * fit)), max(1, round(h * fit))), Image.BILINEAR)
    canvas = Image.new("RGB", (SIZE, SIZE), "white")
    room_x, room_y = SIZE - image.size[0], SIZE - image.size[1]
    x = int(rng.integers(0, room_x + 1)) if augment else room_x // 2
    y = int(rng.integers(0, room_y + 1)) if augment else room_y // 2
    canvas.paste(image, (x, y))
    return canvas


class Task:
    def __init__(self, out, name):
        self.name, self.root = name, os.path.join(out, name)
        os.makedirs(os.path.join(self.root, "images"), exist_ok=True)
        self.rows = {"train": [], "test": []}
        self.labels = {"train": [], "test": []}  # the class index of each row, for the probe

    def add(self, split, image, question, answer, label, choices=None):
        index = len(self.rows[split])
        rid = f"{self.name}-{split}-{index:05d}"
        path = f"images/{rid}.png"
        image.save(os.path.join(self.root, path), optimize=False)
        if split == "train":
            row = {"id": rid, "image": path, "conversations": [
                {"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": answer}]}
        else:
            row = {"question_id": rid, "image": path, "text": question, "answer": answer}
            if choices:
                row["choices"] = choices
        self.rows[split].append(row)
        self.labels[split].append(label)

    def write(self):
        for split, rows in self.rows.items():
            with open(os.path.join(self.root, f"{split}.json"), "w", encoding="utf-8") as f:
                json.dump(rows, f, indent=1, ensure_ascii=False)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(out, downloads, rng):
    folder = os.path.join(debian("dataset-fashion-mnist", downloads), "usr/share/datasets/fashion-mnist")
    task = Task(out, "Fashion")
    question = "What type of clothing item is in this photo?"
    for split, prefix, per_class in (("train", "train", 120), ("test", "t10k", 20)):
        images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
        chosen = np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)])
        for i in rng.permutation(chosen):
            image = Image.fromarray(images[i]).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
            task.add(split, image, question, FASHION[labels[i]], int(labels[i]))
    return task


def card_sheets(downloads):
    """Each deck's 52 cards, cut from the whole sheet (rows clubs, diamonds, hearts, spades, then jokers and back;
    columns ace to king): rendering a card by its element id gives wrong crops in most decks."""
    folder = os.path.join(debian("gnome-cards-data", downloads), "usr/share/aisleriot/cards")
    decks = {}
    for svgz in sorted(glob.glob(os.path.join(folder, "*.svgz"))):
        name = os.path.basename(svgz)[:-5]
        svg, png = os.path.join(downloads, f"deck-{name}.svg"), os.path.join(downloads, f"deck-{name}.png")
        if not os.path.exists(png):
            with gzip.open(svgz, "rb") as f, open(svg, "wb") as g:
                g.write(f.read())
            rsvg(svg, png, width=1300)
        sheet = Image.open(png).convert("RGB")
        w, h = sheet.size
        if not 1.2 < (h / 5) / (w / 13) < 1.8:  # not a 13 x 5 sheet of cards (a deck of another layout)
            continue
        cw, ch = w / 13, h / 5
        decks[name] = [sheet.crop((round(c * cw), round(r * ch), round((c + 1) * cw), round((r + 1) * ch)))
                       for r in range(4) for c in range(13)]
    return decks


def cards(out, downloads, rng):
    decks = card_sheets(downloads)
    names = sorted(decks)
    test_decks = set(rng.choice(names, 6, replace=False))
    task = Task(out, "Cards")
    card_names = [f"the {RANKS[i % 13]} of {SUITS[i // 13]}" for i in range(52)]
    for split, count in (("train", 1200), ("test", 200)):
        pool = [(d, c) for d in names if (d in test_decks) == (split == "test") for c in range(52)]
        picks = rng.choice(len(pool), count, replace=len(pool) < count)
        for n, p in enumerate(picks):
            deck, card = pool[p]
            others = [c for c in rng.permutation(52) if c != card][:3]
            position = n % 4  # the answer letter cycles, so that the letter prior is 25%
            options = others[:position] + [card] + others[position:]
            question = "Which card is this?\n" + "\n".join(f"{LETTERS[i]}. {card_names[o]}" for i, o in enumerate(options)) + "\n" + MC_SUFFIX
            image = on_canvas(decks[deck][card])
            task.add(split, image, question, LETTERS[position], card, choices=4 if split == "test" else None)
    return task, sorted(test_decks), names


def flags(out, downloads, rng):
    svgflags = npm("svg-country-flags@1.2.10", downloads)
    icons = npm("flag-icons@7.5.0", downloads)
    iso = os.path.join(debian("iso-flags-png-320x240", downloads), "usr/share/iso-flags-png-320x240")
    names = json.load(open(os.path.join(svgflags, "countries.json"), encoding="utf-8"))
    # Countries every source draws, with a plain one- or two-word English name (no "Republic of", no commas).
    candidates = sorted(code for code, name in names.items()
                        if name.replace(" ", "").isalpha() and len(name.split()) <= 2 and len(code) == 2
                        and os.path.exists(os.path.join(svgflags, "png250px", f"{code.lower()}.png"))
                        and os.path.exists(os.path.join(icons, "flags", "4x3", f"{code.lower()}.svg"))
                        and os.path.exists(os.path.join(icons, "flags", "1x1", f"{code.lower()}.svg"))
                        and os.path.exists(os.path.join(iso, f"{code.lower()}.png")))
    chosen = sorted(rng.choice(candidates, 24, replace=False))
    task = Task(out, "Flags")
    question = "Which country does this flag belong to?"

    def drawing(code, style):
        c = code.lower()
        if style == "svg-country-flags":
            return Image.open(os.path.join(svgflags, "png250px", f"{c}.png"))
        if style == "iso":
            return Image.open(os.path.join(iso, f"{c}.png"))
        png = os.path.join(downloads, f"flag-{style}-{c}.png")
        if not os.path.exists(png):
            rsvg(os.path.join(icons, "flags", style, f"{c}.svg"), png, width=128)
        return Image.open(png)

    for split, styles, per_style in (("train", ("svg-country-flags", "4x3"), 10), ("test", ("iso", "1x1"), 2)):
        rows = [(label, style) for label, code in enumerate(chosen) for style in styles for _ in range(per_style)]
        for k in rng.permutation(len(rows)):
            label, style = rows[k]
            task.add(split, on_canvas(drawing(chosen[label], style), rng, augment=True), question, names[chosen[label]], label)
    return task, [names[c] for c in chosen]


def probe(task, size, classes, seed):
    """Multinomial logistic regression on the pixels at size x size, by full-batch gradient descent with Adam; the
    L2 weight chosen on a fifth of the training rows, then refitted on all of them."""
    def pixels(split):
        return np.stack([np.asarray(Image.open(os.path.join(task.root, r["image"])).convert("RGB").resize((size, size), Image.BILINEAR),
                                    np.float32).reshape(-1) / 255.0 for r in task.rows[split]])

    def fit(x, y, l2, steps=300):
        rng = np.random.default_rng(seed)
        w = rng.normal(0, 0.01, (x.shape[1], classes)).astype(np.float32)
        b = np.zeros(classes, np.float32)
        m = [np.zeros_like(w), np.zeros_like(b)]
        v = [np.zeros_like(w), np.zeros_like(b)]
        onehot = np.eye(classes, dtype=np.float32)[y]
        for t in range(1, steps + 1):
            logits = x @ w + b
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = (p - onehot) / len(y)
            grads = [x.T @ g + l2 * w, g.sum(0)]
            for i, (param, grad) in enumerate(zip((w, b), grads)):
                m[i] = 0.9 * m[i] + 0.1 * grad
                v[i] = 0.999 * v[i] + 0.001 * grad * grad
                param -= 0.01 * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
        return w, b

    x_train, x_test = pixels("train"), pixels("test")
    mean = x_train.mean(0)
    x_train, x_test = x_train - mean, x_test - mean
    y_train, y_test = np.array(task.labels["train"]), np.array(task.labels["test"])
    cut = len(y_train) * 4 // 5
    best = max((1e-4, 1e-3, 1e-2, 1e-1), key=lambda l2: (lambda wb: ((x_train[cut:] @ wb[0] + wb[1]).argmax(1) == y_train[cut:]).mean())(fit(x_train[:cut], y_train[:cut], l2)))
    w, b = fit(x_train, y_train, best)
    predicted = (x_test @ w + b).argmax(1)
    if task.name != "Cards":
        return float((predicted == y_test).mean()), best
    # The probe names a card; it answers the option that names it (wrong when none does).
    right = 0
    for row, guess in zip(task.rows["test"], predicted):
        options = row["text"].split("\n")[1:5]
        named = f"the {RANKS[guess % 13]} of {SUITS[guess // 13]}"
        right += any(o == f"{row['answer']}. {named}" for o in options)
    return right / len(predicted), best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default_out())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--probe-size", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("rsvg-convert") is None:
        subprocess.run(["apt-get", "install", "-y", "librsvg2-bin"], check=True, stdout=subprocess.DEVNULL)
    downloads = os.path.join(os.path.dirname(os.path.abspath(args.out)), "general-downloads")
    os.makedirs(downloads, exist_ok=True)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    rng = np.random.default_rng(args.seed)
    fashion_task = fashion(args.out, downloads, rng)
    cards_task, test_decks, decks = cards(args.out, downloads, rng)
    flags_task, countries = flags(args.out, downloads, rng)
    tasks = [fashion_task, cards_task, flags_task]
    for task in tasks:
        task.write()
    chance = {"Fashion": 0.1, "Cards": 0.25, "Flags": 1 / 24}
    classes = {"Fashion": 10, "Cards": 52, "Flags": 24}
    results = {}
    print(f"| task | train | test | chance | linear probe at {args.probe_size} px (L2) |\n|---|---:|---:|---:|---:|")
    for task in tasks:
        accuracy, l2 = probe(task, args.probe_size, classes[task.name], args.seed)
        results[task.name] = {"train": len(task.rows["train"]), "test": len(task.rows["test"]), "chance": chance[task.name],
                              "probe_accuracy": accuracy, "probe_l2": l2, "probe_size": args.probe_size}
        print(f"| {task.name} | {len(task.rows['train'])} | {len(task.rows['test'])} | {100 * chance[task.name]:.1f}% | {100 * accuracy:.1f}% ({l2:g}) |")
    script = hashlib.sha256(open(os.path.abspath(__file__), "rb").read()).hexdigest()
    manifest = {"seed": args.seed, "script_sha256": script, "answers": {"Fashion": FASHION, "Flags": countries},
                "cards": {"decks": decks, "test_decks": test_decks}, "tasks": results}
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    with open(os.path.join(args.out, f"linear-probe-{args.probe_size}.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
