#!/usr/bin/python3
"""Builds the general base model's data and the held-out stream (issue 30) from Debian and npm packages.

    /usr/bin/python3 experiments/general/prepare.py [--out DIR] [--seed 1] [--local DIR ...]

Writes, in Coin's `coin-files` format (LLaVA/CoIN JSON, PNG images, paths relative to DIR):

    base/captions.json, base/instructions.json, base/images/...   the base model's two stages
    heldout/{Fashion,Cards,Flags}/{train,test,meta}.json, images/  the held-out stream
    ATTRIBUTION.md, manifest.json

DIR defaults to $COIN_HOME/data/general, else $XDG_CACHE_HOME/coin/data/general, else ~/.cache/coin/data/general.
Packages are fetched with `apt-get download` / `npm pack` into DIR/../general-downloads (`--local` names folders of
.deb/.tgz files already downloaded, copied in instead of fetching). The output is a function of the seed and the
pinned package versions: a rerun writes byte-identical files. The folder is built beside DIR and moved into place at
the end, so an interrupted run never leaves a half-written DIR.

Needs Debian's python3 with PIL and numpy, dpkg-deb, tar, and rsvg-convert (librsvg2-bin, installed with apt-get
when missing and run as root).
"""
import argparse
import gzip
import hashlib
import html
import io
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

import numpy as np
from PIL import Image

SIZE = 64  # every written image is SIZE x SIZE RGB

# Pinned versions: the output is reproducible only from the same bytes. A missing pinned version falls back to the
# registry's current one with a warning (the manifest records what was used).
DEBS = {
    "openclipart-svg": "1:0.18+dfsg-19",
    "tuxpaint-stamps-default": "2022.06.04-1",
    "dataset-fashion-mnist": "0.0~git20200523.55506a9-1",
    "gnome-cards-data": "1:3.22.23-1",
    "iso-flags-png-320x240": "1.0.2-2",
}
NPMS = {
    "emoji-datasource": "16.0.0",
    "emoji-datasource-google": "16.0.0",  # Apache-2.0 art; never the -apple or -facebook packs (not licensed)
    "svg-country-flags": "1.2.10",
    "flag-icons": "7.5.0",
}
# Which packages feed which side: no held-out source may feed the base (checked below).
BASE_PACKAGES = {"openclipart-svg", "emoji-datasource", "emoji-datasource-google", "tuxpaint-stamps-default"}
HELDOUT_PACKAGES = {"dataset-fashion-mnist", "gnome-cards-data", "svg-country-flags", "flag-icons", "iso-flags-png-320x240"}
assert not BASE_PACKAGES & HELDOUT_PACKAGES


def log(message):
    print(message, flush=True)


def rng_for(seed, purpose):
    """An independent, reproducible stream per purpose (string seeds hash with SHA-512, not Python's hash())."""
    return random.Random(f"{seed}/{purpose}")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_out():
    if os.environ.get("COIN_HOME"):
        return os.path.join(os.environ["COIN_HOME"], "data", "general")
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "coin", "data", "general")
    return os.path.join(os.path.expanduser("~"), ".cache", "coin", "data", "general")


# ----------------------------------------------------------------------------------------------- fetching packages

class Fetcher:
    """Gets each package's archive into the download folder (local copy, else the registry) and unpacks it once."""

    def __init__(self, downloads, local_dirs):
        self.downloads = downloads
        self.local_dirs = local_dirs
        self.apt_updated = False
        self.used = {}  # package -> {registry, version, archive, sha256}
        os.makedirs(downloads, exist_ok=True)

    def _find(self, pattern):
        for folder in [self.downloads] + self.local_dirs:
            if os.path.isdir(folder):
                hits = sorted(f for f in os.listdir(folder) if re.fullmatch(pattern, f))
                if hits:
                    return os.path.join(folder, hits[-1])
        return None

    def _run(self, command):
        return subprocess.run(command, cwd=self.downloads, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def deb(self, package, version):
        quoted = urllib.parse.quote(version, safe="+~.")  # apt writes the epoch's ':' as %3a
        pattern = re.escape(f"{package}_") + "(" + re.escape(quoted) + "|" + re.escape(quoted.replace("%3A", "%3a")) + r")_[a-z0-9]+\.deb"
        path = self._find(pattern)
        if path is None:
            for spec in (f"{package}={version}", package):  # the pinned version first, then whatever apt has
                result = self._run(["apt-get", "download", spec])
                if result.returncode != 0 and not self.apt_updated and os.geteuid() == 0:
                    self.apt_updated = True
                    self._run(["apt-get", "update"])
                    result = self._run(["apt-get", "download", spec])
                if result.returncode == 0:
                    if spec == package:
                        log(f"WARNING: {package}={version} is not in the registry; using its current version")
                    break
                log(f"apt-get download {spec} failed: {result.stderr.strip()[-300:]}")
            path = self._find(pattern) or self._find(re.escape(f"{package}_") + r"[^_]+_[a-z0-9]+\.deb")
            if path is None:
                raise SystemExit(f"cannot fetch the Debian package {package}")
        elif os.path.dirname(path) != self.downloads:
            shutil.copy(path, self.downloads)
            path = os.path.join(self.downloads, os.path.basename(path))
        used_version = urllib.parse.unquote(os.path.basename(path).split("_")[1])
        return self._unpack(package, "debian", used_version, path, ["dpkg-deb", "-x", path])

    def npm(self, name, version):
        pattern = re.escape(f"{name}-{version}.tgz")
        path = self._find(pattern)
        if path is None:
            result = self._run(["npm", "pack", f"{name}@{version}", "--silent"])
            if result.returncode != 0:
                log(f"npm pack {name}@{version} failed: {result.stderr.strip()[-300:]}")
                raise SystemExit(f"cannot fetch the npm package {name}@{version}")
            path = self._find(pattern)
        elif os.path.dirname(path) != self.downloads:
            shutil.copy(path, self.downloads)
            path = os.path.join(self.downloads, os.path.basename(path))
        return os.path.join(self._unpack(name, "npm", version, path, ["tar", "-xzf", path, "-C"]), "package")

    def _unpack(self, package, registry, version, archive, command):
        target = os.path.join(self.downloads, "unpacked", os.path.basename(archive).rsplit(".", 1)[0])
        marker = os.path.join(target, ".unpacked")
        if not os.path.exists(marker):
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            subprocess.run(command + [target], check=True)
            open(marker, "w").close()
        self.used[package] = {"registry": registry, "version": version, "archive": os.path.basename(archive), "sha256": sha256_file(archive)}
        return target


# ----------------------------------------------------------------------------------------------- images

class Rasteriser:
    """rsvg-convert, with renders cached by (SVG bytes, size, rsvg version) in the download folder."""

    def __init__(self, cache):
        self.tool = shutil.which("rsvg-convert")
        if self.tool is None and os.geteuid() == 0:
            log("installing librsvg2-bin for rsvg-convert")
            if subprocess.run(["apt-get", "install", "-y", "librsvg2-bin"]).returncode != 0:
                subprocess.run(["apt-get", "update"])
                subprocess.run(["apt-get", "install", "-y", "librsvg2-bin"])
            self.tool = shutil.which("rsvg-convert")
        if self.tool is None:
            raise SystemExit("rsvg-convert not found: apt-get install librsvg2-bin")
        self.version = subprocess.run([self.tool, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        self.cache = cache
        os.makedirs(cache, exist_ok=True)
        self.env = dict(os.environ, LANG="C", LC_ALL="C")

    def render(self, svg_path, width, height=None):
        """RGBA image fitted into width x height (aspect kept), or None when rsvg fails or takes over 60 s."""
        with open(svg_path, "rb") as f:
            key = hashlib.sha256(f.read() + f"|{width}x{height}|{self.version}".encode()).hexdigest()[:40]
        cached = os.path.join(self.cache, key + ".png")
        if not os.path.exists(cached):
            size = ["-w", str(width)] + (["-h", str(height), "--keep-aspect-ratio"] if height else [])
            temporary = cached + f".{os.getpid()}.tmp"
            try:
                # --accept-language: an SVG <switch> on systemLanguage renders the same on every machine.
                result = subprocess.run([self.tool, "--accept-language", "en", *size, svg_path, "-o", temporary],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, env=self.env)
            except subprocess.TimeoutExpired:
                return None
            if result.returncode != 0 or not os.path.exists(temporary):
                return None
            os.replace(temporary, cached)
        with Image.open(cached) as image:
            return image.convert("RGBA")


def flatten(image):
    """RGBA (or any mode) on a white background, as RGB."""
    image = image.convert("RGBA")
    canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


def content_box(image, by_alpha):
    """Bounding box of the drawing: non-transparent pixels, or (after flattening) pixels that are not near-white.
    Drawings often sit in a much larger page; cropping to them makes the subject fill the 64 px."""
    if by_alpha:
        return image.convert("RGBA").getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    grey = flatten(image).convert("L")
    return grey.point(lambda v: 255 if v < 250 else 0).getbbox()


def fit(image, size=SIZE, by_alpha=False, margin=2, scale=1.0, shift=(0.5, 0.5), resample=Image.LANCZOS):
    """The drawing cropped to its content, scaled (aspect kept) to fill size - 2*margin (times `scale`), and pasted
    on a white square; `shift` places it inside the free space (0.5, 0.5 = centred)."""
    box = content_box(image, by_alpha)
    if box is None:
        return None
    image = flatten(image.crop(box))
    inner = max(1, round((size - 2 * margin) * scale))
    factor = inner / max(image.size)
    w, h = max(1, round(image.width * factor)), max(1, round(image.height * factor))
    image = image.resize((w, h), resample)
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(image, (round((size - w) * shift[0]), round((size - h) * shift[1])))
    return canvas


def is_blank(image):
    """Fewer than 0.5% of pixels visibly non-white: an SVG that rendered to nothing useful."""
    a = np.asarray(image)
    return (a.min(axis=2) < 245).mean() < 0.005


def save_png(image, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, format="PNG")  # PIL writes no timestamp: the same pixels give the same bytes


# ----------------------------------------------------------------------------------------------- text helpers

def article(phrase):
    """'a fawn', 'an owl', 'clouds', '1989 chevrolet ...': a rough English article for a label."""
    first = phrase.split()[0].lower() if phrase.split() else ""
    if not first or first[0].isdigit() or first in {"a", "an", "the", "some", "two", "three", "four", "five", "many"}:
        return phrase
    last = phrase.split()[-1].lower()
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        return phrase  # probably a plural
    return ("an " if first[0] in "aeiou" else "a ") + phrase


def tidy(text):
    """Markup and file-name debris out of a title: entities, underscores, CamelCase, '(B and W)', trailing numbers;
    capitalised words lower-cased (acronyms such as LED kept)."""
    text = html.unescape(text)
    text = re.sub(r"[_]+", " ", text)
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"\s*[\(\[][^)\]]*[\)\]]", "", text)
    text = re.sub(r"[\s#_\-]*\d+$", "", text.strip())
    words = [w.lower() if (w[:1].isupper() and w[1:] == w[1:].lower()) else w for w in text.split()]
    return " ".join(words).strip(" .,;:-")


class Item:
    """One base image with its texts."""

    def __init__(self, source, key, label, category, caption, load):
        self.source, self.key, self.label, self.category, self.caption, self.load = source, key, label, category, caption, load
        self.image = None
        self.path = None

    def texts(self):
        return [self.label, self.category, self.caption]


# ----------------------------------------------------------------------------------------------- base sources

def openclipart_items(root, raster, drops):
    """openclipart-svg: title from <dc:title> (file name when the title is empty or a collection's name, except in
    the desktop icon themes, whose file names are identifiers: those are left out), category = top folder. Left
    out: shapes/ and special/ (mini-CoIN's territory), tools/weapons, any path with flag or card (the held-out
    tasks' subjects), and symbolic links (duplicates of files in other folders)."""
    base = os.path.join(root, "usr/share/openclipart/svg")
    files = []
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, base)
            if not name.endswith(".svg"):
                continue
            low = relative.lower()
            if os.path.islink(path):
                drops["openclipart: symbolic link (duplicate)"] = drops.get("openclipart: symbolic link (duplicate)", 0) + 1
                continue
            reason = ("folder shapes/special" if low.startswith(("shapes/", "special/")) else
                      "tools/weapons" if low.startswith("tools/weapons") else
                      "path contains flag/card" if ("flag" in low or "card" in low) else None)
            if reason:
                drops[f"openclipart: {reason}"] = drops.get(f"openclipart: {reason}", 0) + 1
                continue
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            # The work's title is the first <dc:title>; the later ones are the creator's and publisher's names.
            match = re.search(r"<dc:title>(.*?)</dc:title>", text, re.S)
            files.append((relative, match.group(1).strip() if match else ""))
    # A title shared by a dozen files or more is a collection's name ("Lemon SVG theme", "Part of the Flat Icon
    # Collection"), as are "Clipart by Nicu Buculei - <another file>" titles: those fall back to the file name.
    counts = {}
    for _, title in files:
        counts[title] = counts.get(title, 0) + 1
    items = []
    for relative, title in files:
        if not title or counts[title] >= 12 or re.match(r"(clipart by|part of the)\b", title, re.I):
            if relative.startswith("computer/icons/"):
                # Desktop icon themes (Flat, Lemon, Etiquette...: about 1,500 files): their file names are icon
                # identifiers ("kteatime", "deletecell", "gnome-mime-application-vnd.ms-powerpoint"), not labels.
                drops["openclipart: icon theme without a title"] = drops.get("openclipart: icon theme without a title", 0) + 1
                continue
            stem = os.path.splitext(os.path.basename(relative))[0]
            stem = re.sub(r"^(gnome-mime-|gnome-|aiga_)", "", stem)
            title = re.sub(r"[-.]+", " ", stem)
        label = tidy(title)
        if len(re.sub(r"[^A-Za-z]", "", label)) < 3:
            drops["openclipart: no usable title"] = drops.get("openclipart: no usable title", 0) + 1
            continue
        category = relative.split("/")[0].replace("_", " ")
        path = os.path.join(base, relative)
        items.append(Item("openclipart", relative, label, category, f"A drawing of {article(label)}.",
                          lambda path=path: raster.render(path, 128, 128)))
    return items


def emoji_items(data_root, google_root, drops):
    """emoji-datasource's emoji.json with the Google (Noto, Apache-2.0) 64 px PNGs. Left out: the Flags category,
    skin-tone variants (only each emoji's base image is used) and the Component category (the skin-tone swatches
    and hair parts)."""
    with open(os.path.join(data_root, "emoji.json"), encoding="utf-8") as f:
        entries = json.load(f)
    items = []
    for entry in sorted(entries, key=lambda e: (e["sort_order"], e["unified"])):
        if entry["category"] in ("Flags", "Component"):
            drops[f"emoji: category {entry['category']}"] = drops.get(f"emoji: category {entry['category']}", 0) + 1
            continue
        path = os.path.join(google_root, "img/google/64", entry["image"])
        if not entry.get("has_img_google") or not os.path.exists(path):
            drops["emoji: no Google image"] = drops.get("emoji: no Google image", 0) + 1
            continue
        label = (entry.get("name") or entry["short_name"].replace("_", " ")).lower()
        items.append(Item("emoji", entry["unified"], label, entry["category"].lower(), f"The emoji for {label}.",
                          lambda path=path: Image.open(path).convert("RGBA")))
    return items


def tuxpaint_items(root, raster, drops):
    """tuxpaint-stamps-default: caption = line 1 of the stamp's .txt; the label is that sentence without its
    article; category = top folder. The SVG is used when a stamp has one (Tux Paint prefers it), else the PNG.
    Left out: symbols/alphabets and symbols/math (letters and digits: mini-CoIN's rendered text) and military/."""
    base = os.path.join(root, "usr/share/tuxpaint/stamps")
    items = []
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(".txt"):
                continue
            stem = os.path.join(folder, name[:-4])
            relative = os.path.relpath(stem, base)
            if relative.startswith(("symbols/alphabets/", "symbols/math/", "military/")):
                key = "/".join(relative.split("/")[:2]) if relative.startswith("symbols") else "military"
                drops[f"tuxpaint: {key}"] = drops.get(f"tuxpaint: {key}", 0) + 1
                continue
            image = stem + ".svg" if os.path.exists(stem + ".svg") else stem + ".png" if os.path.exists(stem + ".png") else None
            if image is None:
                drops["tuxpaint: no image"] = drops.get("tuxpaint: no image", 0) + 1
                continue
            with open(stem + ".txt", encoding="utf-8", errors="replace") as f:
                caption = f.readline().strip()
            # "A mince pie is a traditional ... food." -> "mince pie"; "A US 25 cent piece ($.25) ..." -> no brackets.
            label = re.split(r"(?<=[.!?])\s", caption)[0]
            label = re.split(r"\s(?:is|are|was|were|has|have)\s", label)[0]
            label = re.sub(r"^(a|an|the|some)\s+", "", label, flags=re.I)
            label = re.sub(r"\s*\([^)]*\)", "", label).strip(" .!?,")
            if label[:1].isupper() and label[1:2].islower():
                label = label[0].lower() + label[1:]
            if not caption or len(re.sub(r"[^A-Za-z]", "", label)) < 3:
                drops["tuxpaint: no usable caption"] = drops.get("tuxpaint: no usable caption", 0) + 1
                continue
            load = ((lambda path=image: raster.render(path, 128, 128)) if image.endswith(".svg")
                    else (lambda path=image: Image.open(path).convert("RGBA")))
            items.append(Item("tuxpaint", relative, label, relative.split("/")[0].replace("naturalforces", "natural forces"), caption, load))
    return items


# ----------------------------------------------------------------------------------------------- held-out tasks

FASHION_CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
FASHION_QUESTION = "What type of clothing item is in this photo?"
CARDS_QUESTION = "Which card is this?"
CARDS_SUFFIX = "Answer with the option's letter from the given choices directly."
FLAGS_QUESTION = "Which country does this flag belong to?"
RANKS = ["ace", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "jack", "queen", "king"]
SUITS = ["clubs", "diamonds", "hearts", "spades"]  # the rows of an aisleriot deck sheet, in this order


def train_row(row_id, image, prompt, answer):
    return {"id": row_id, "image": image, "conversations": [{"from": "human", "value": "<image>\n" + prompt}, {"from": "gpt", "value": answer}]}


def read_idx(path):
    """An IDX file (MNIST's format): big-endian header of magic, dimension sizes; then uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def build_fashion(root, out, seed):
    """Fashion-MNIST: 120 per class from the official train split, 20 per class from the test split, drawn by the
    seed. 28x28 grey is scaled to 64x64 RGB with bilinear interpolation (smoother than nearest's 2.3x blocks)."""
    folder = os.path.join(root, "usr/share/datasets/fashion-mnist")
    task = {"train": [], "test": [], "meta": {}}
    for split, prefix, per_class in (("train", "train", 120), ("test", "t10k", 20)):
        images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
        rng = rng_for(seed, f"fashion/{split}")
        chosen = []
        for c in range(10):
            indices = [int(i) for i in np.flatnonzero(labels == c)]
            chosen += [(i, c) for i in sorted(rng.sample(indices, per_class))]
        rng.shuffle(chosen)
        for n, (index, c) in enumerate(chosen):
            name = f"heldout/Fashion/images/{split}-{n:04d}.png"
            image = Image.fromarray(images[index], "L").resize((SIZE, SIZE), Image.BILINEAR).convert("RGB")
            save_png(image, os.path.join(out, name))
            answer = FASHION_CLASSES[c]
            if split == "train":
                task["train"].append(train_row(f"fashion-train-{n:04d}", name, FASHION_QUESTION, answer))
            else:
                task["test"].append({"question_id": f"fashion-test-{n:04d}", "image": name, "text": FASHION_QUESTION, "answer": answer})
            task["meta"][name] = {"label": answer, "group": split, "source": f"{prefix}[{index}]"}
    return task


def deck_family(name):
    """Decks that are versions of one design ('anglo', 'anglo_bitmap', 'anglo_modern_4_color'; 'atlasnye' and its
    Cyrillic twin) stay on one side of the train/test split."""
    return "atlasnye" if name == "Атласные" else re.split(r"[_\-]", name)[0]


def deck_slug(name):
    return "atlasnye-ru" if name == "Атласные" else name


def card_name(card):
    return f"the {RANKS[card % 13]} of {SUITS[card // 13]}"


def build_cards(root, out, seed, raster):
    """gnome-cards-data: each deck's sheet rendered whole (1300 px wide) and cut into its 13 x 5 grid: rows clubs,
    diamonds, hearts, spades, then jokers and backs (left out); columns ace, 2..10, jack, queen, king. (Rendering
    one card by its element id gives wrong boxes in most decks.) swiss-xvii is left out: its suits are acorns,
    bells, roses and shields, not the French suits the answers name. Test decks: whole design families drawn by the
    seed until 6 decks; the other decks train. CoIN's ScienceQA format: four options, one right, three drawn from
    the other 51 cards; the right letter is balanced over A-D."""
    folder = os.path.join(root, "usr/share/aisleriot/cards")
    decks = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".svgz") and f != "swiss-xvii.svgz")
    families = sorted({deck_family(d) for d in decks})
    rng = rng_for(seed, "cards/split")
    rng.shuffle(families)
    test_decks = []
    for family in families:
        members = [d for d in decks if deck_family(d) == family]
        if len(test_decks) + len(members) <= 6:
            test_decks += members
        if len(test_decks) == 6:
            break
    test_decks = sorted(test_decks)
    train_decks = [d for d in decks if d not in test_decks]
    crops = {}  # (deck, card) -> image
    for deck in decks:
        sheet = raster.render(os.path.join(folder, deck + ".svgz"), 1300)
        if sheet is None:
            raise SystemExit(f"cannot render the card deck {deck}")
        cell_w, cell_h = sheet.width / 13, sheet.height / 5
        for card in range(52):
            row, column = card // 13, card % 13
            box = (round(column * cell_w), round(row * cell_h), round((column + 1) * cell_w), round((row + 1) * cell_h))
            crops[(deck, card)] = fit(sheet.crop(box), by_alpha=True, margin=1)
    task = {"train": [], "test": [], "meta": {}, "train_decks": train_decks, "test_decks": test_decks}
    for split, split_decks in (("train", train_decks), ("test", test_decks)):
        rng = rng_for(seed, f"cards/{split}")
        pairs = [(d, c) for d in split_decks for c in range(52)]
        if split == "test":
            pairs = sorted(rng.sample(pairs, 200))  # 200 of the test decks' 312 cards
        rng.shuffle(pairs)
        letters = [i % 4 for i in range(len(pairs))]  # balanced right letters, then shuffled
        rng.shuffle(letters)
        for n, ((deck, card), right) in enumerate(zip(pairs, letters)):
            name = f"heldout/Cards/images/{split}-{deck_slug(deck)}-{n:04d}.png"
            save_png(crops[(deck, card)], os.path.join(out, name))
            options = rng.sample([c for c in range(52) if c != card], 3)
            options.insert(right, card)
            text = CARDS_QUESTION + "\n" + "\n".join(f"{'ABCD'[i]}. {card_name(c)}" for i, c in enumerate(options)) + "\n" + CARDS_SUFFIX
            answer = "ABCD"[right]
            if split == "train":
                task["train"].append(train_row(f"cards-train-{n:04d}", name, text, answer))
            else:
                task["test"].append({"question_id": f"cards-test-{n:04d}", "image": name, "text": text, "answer": answer, "choices": 4})
            task["meta"][name] = {"label": card_name(card), "group": deck_slug(deck), "source": f"{deck}.svgz[{card}]"}
    return task


def build_flags(sv_root, fi_root, iso_root, out, seed, raster):
    """24 countries drawn by the seed from those in all three flag sources under the same name (ASCII, no comma or
    brackets, so the answer is one plain name). Left out of the draw first: flags near-identical to another in the
    pool (France and its territories, Norway and Bouvet Island, Indonesia and Monaco, Chad and Romania, ...), which
    no drawing tells apart, and flags whose drawing in another source is a different flag (iso-flags draws Tokelau
    as New Zealand's flag and New Caledonia as France's): such a drawing's own flag ranks 20th or worse among the
    pool's nearest. Train: svg-country-flags PNG and flag-icons 4x3 SVG, 10 views each (the plain image and 9 random
    crops, scales and shifts); test: iso-flags-png-320x240 and flag-icons 1x1 SVG, 2 views each (plain and one
    augmented), i.e. other drawings of the same flags."""
    with open(os.path.join(sv_root, "countries.json"), encoding="utf-8") as f:
        sv = {k.lower(): v for k, v in json.load(f).items()}
    with open(os.path.join(fi_root, "country.json"), encoding="utf-8") as f:
        fi_all = json.load(f)
    fi = {c["code"]: c["name"] for c in fi_all}
    iso_folder = os.path.join(iso_root, "usr/share/iso-flags-png-320x240")
    iso = {f[:-4] for f in os.listdir(iso_folder) if f.endswith(".png")}
    pool = sorted(c for c in set(sv) & set(fi) & iso if sv[c] == fi[c] and sv[c].isascii() and not re.search(r"[,()]", sv[c]))
    reference = {c: flag_thumb(Image.open(os.path.join(sv_root, "png250px", c + ".png"))) for c in pool}

    def distances(thumb):
        return sorted((np.abs(thumb - reference[o]).mean(), o) for o in pool)

    lookalikes = sorted(c for c in pool if distances(reference[c])[1][0] < 12)
    other_drawings = {"iso-flags-png": lambda c: Image.open(os.path.join(iso_folder, c + ".png")),
                      "flag-icons-4x3": lambda c: raster.render(os.path.join(fi_root, "flags/4x3", c + ".svg"), 256, 256)}
    mismatched = sorted(c for c in pool for load in other_drawings.values()
                        if [o for _, o in distances(flag_thumb(load(c)))].index(c) >= 20)
    mismatched = sorted(set(mismatched))
    pool = [c for c in pool if c not in lookalikes and c not in mismatched]
    countries = sorted(rng_for(seed, "flags/countries").sample(pool, 24))
    styles = {
        "train": [("svg-country-flags", lambda c: Image.open(os.path.join(sv_root, "png250px", c + ".png")).convert("RGBA")),
                  ("flag-icons-4x3", lambda c: raster.render(os.path.join(fi_root, "flags/4x3", c + ".svg"), 256, 256))],
        "test": [("iso-flags-png", lambda c: Image.open(os.path.join(iso_folder, c + ".png")).convert("RGBA")),
                 ("flag-icons-1x1", lambda c: raster.render(os.path.join(fi_root, "flags/1x1", c + ".svg"), 256, 256))],
    }
    task = {"train": [], "test": [], "meta": {}, "countries": {c: sv[c] for c in countries}, "lookalikes_left_out": lookalikes,
            "other_flag_drawn_left_out": mismatched, "all_names": country_names(sv, fi_all)}
    for split, views in (("train", 10), ("test", 2)):
        rng = rng_for(seed, f"flags/{split}")
        entries = []
        for style, load in styles[split]:
            for c in countries:
                source = load(c)
                if source is None:
                    raise SystemExit(f"cannot render the flag {c} ({style})")
                for view in range(views):
                    entries.append((style, c, view, augment(source, rng) if view else fit(source, by_alpha=True)))
        order = list(range(len(entries)))
        rng.shuffle(order)
        for n, index in enumerate(order):
            style, c, view, image = entries[index]
            name = f"heldout/Flags/images/{split}-{n:04d}.png"
            save_png(image, os.path.join(out, name))
            if split == "train":
                task["train"].append(train_row(f"flags-train-{n:04d}", name, FLAGS_QUESTION, sv[c]))
            else:
                task["test"].append({"question_id": f"flags-test-{n:04d}", "image": name, "text": FLAGS_QUESTION, "answer": sv[c]})
            task["meta"][name] = {"label": sv[c], "group": style, "source": f"{style}:{c}:view{view}"}
    return task


def country_names(sv, fi_all):
    """Every country (and territory) name the flag sources know: svg-country-flags' names (with England, Scotland,
    Wales, Northern Ireland, Kosovo) and flag-icons' ISO entries; not "Europe" (svg-country-flags' EU flag), nor
    flag-icons' organisations, regions and "Unknown"."""
    return sorted((set(sv.values()) | {c["name"] for c in fi_all if c.get("iso")}) - {"Europe"})


def flag_thumb(image):
    """24 x 16 pixels of a flag's drawing (cropped to it, stretched), to compare drawings of flags."""
    image = image.convert("RGBA")
    box = content_box(image, by_alpha=True) or (0, 0, image.width, image.height)
    return np.asarray(flatten(image.crop(box)).resize((24, 16), Image.BILINEAR), dtype=float)


def augment(image, rng):
    """Light augmentation: a crop keeping 80-100% of each side at a random place, scaled to 80-100% of the square
    and shifted at random inside it."""
    box = content_box(image, by_alpha=True) or (0, 0, image.width, image.height)
    image = image.crop(box)
    w, h = image.size
    cw, ch = max(1, round(w * rng.uniform(0.8, 1.0))), max(1, round(h * rng.uniform(0.8, 1.0)))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    image = image.crop((x, y, x + cw, y + ch))
    return fit(image, by_alpha=True, scale=rng.uniform(0.8, 1.0), shift=(rng.random(), rng.random()))


# ----------------------------------------------------------------------------------------------- the base's rows

CAPTION_PROMPTS = [
    "Describe the image briefly.",
    "What is this? Answer in a few words.",
    "Give a short caption for the image.",
    "Summarize the picture in a few words.",
    "Write a brief description of the image.",
    "Share a concise description of this image.",
    "Provide a short description of what you see.",
    "Caption this image.",
]
WHAT_PROMPTS = ["What is shown in the image?", "What does this picture show? Answer with a short phrase.", "Name what is drawn in the image."]
CATEGORY_PROMPTS = ["Which category is this image from?", "What category does this picture fall under? Answer with the category name.",
                    "Name the category of this image."]
YESNO_PROMPTS = ["Is this {x}? Answer yes or no.", "Does the image show {x}? Answer yes or no."]
CHOICE_PROMPTS = ["Which of these is shown? {options} Reply with the letter.", "Pick the option that matches the image: {options} Reply with the letter."]
KINDS = ["what", "category", "yesno", "choice"]


def heldout_vocabulary(country_names):
    """Words and names the base must never contain: every held-out answer word (each word of a class name, with its
    plural), the cards' face ranks and suits, the two tasks' subjects (flag, card), and every country name the flag
    sources know, not only the 24 drawn (a clip-art flag titled "Argentina" would teach flag -> country). Number
    words (two..ten, the card ranks) are not in it: they are general English that mini-CoIN's counting task teaches
    too. The price: a few common words that are also countries (turkey, chad, guinea, jersey) go with them."""
    words = set()
    for name in FASHION_CLASSES:
        for part in [name] + name.split():
            words |= {part, part + "s", part + "es"}
    for word in ["ace", "jack", "queen", "king", "club", "diamond", "heart", "spade", "card", "flag"]:
        words |= {word, word + "s"}
    words |= {name.lower() for name in country_names}
    return sorted(words)


def heldout_pattern(words):
    # Whole words, case-insensitive; a hyphen or space is a boundary, so "shirt" is in "t-shirt" and "sweat shirt".
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![\w])", re.I)


def base_rows(items, seed):
    """Captions: every item once. Instructions: two of the four kinds per item (the six pairs in turn over the items
    in a shuffled order, so each kind covers half the items), yes/no answers and choice letters balanced."""
    rng = rng_for(seed, "base/rows")
    captions = [(item, rng.choice(CAPTION_PROMPTS), item.caption) for item in items]
    by_source = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    instructions = []
    pairs = list(itertools.combinations(KINDS, 2))
    for source in sorted(by_source):
        group = by_source[source]
        labels = sorted({i.label.lower(): i.label for i in group}.items())
        order = list(range(len(group)))
        rng.shuffle(order)
        counters = {"yesno": 0, "choice": 0}
        for n, index in enumerate(order):
            item = group[index]
            for kind in pairs[n % len(pairs)]:
                if kind == "what":
                    instructions.append((item, rng.choice(WHAT_PROMPTS), item.label))
                elif kind == "category":
                    instructions.append((item, rng.choice(CATEGORY_PROMPTS), item.category))
                elif kind == "yesno":
                    yes = counters["yesno"] % 2 == 0
                    counters["yesno"] += 1
                    x = item.label if yes else other_labels(labels, item.label, 1, rng)[0]
                    instructions.append((item, rng.choice(YESNO_PROMPTS).format(x=article(x)), "yes" if yes else "no"))
                else:
                    right = counters["choice"] % 4
                    counters["choice"] += 1
                    options = other_labels(labels, item.label, 3, rng)
                    options.insert(right, item.label)
                    text = " ".join(f"({'abcd'[i]}) {o}" for i, o in enumerate(options))
                    instructions.append((item, rng.choice(CHOICE_PROMPTS).format(options=text), "abcd"[right]))
    rng.shuffle(captions)
    rng.shuffle(instructions)
    return captions, instructions


def other_labels(labels, label, count, rng):
    """`count` distinct labels of the same source, none equal to `label` (ignoring case)."""
    chosen = []
    while len(chosen) < count:
        key, text = labels[rng.randrange(len(labels))]
        if key != label.lower() and text not in chosen:
            chosen.append(text)
    return chosen


# ----------------------------------------------------------------------------------------------- attribution

SOURCE_NOTES = {
    "openclipart-svg": ("Public domain (Open Clip Art Library: CC public-domain dedication / certification)",
                        "Clip art from the Open Clip Art Library (openclipart.org), each drawing by its author as named in the SVG's metadata; public domain.",
                        "usr/share/doc/openclipart-svg/copyright"),
    "emoji-datasource": ("MIT (the data)", "emoji.json from emoji-datasource, Copyright (c) 2013 Cal Henderson, MIT License.", "LICENSE"),
    "emoji-datasource-google": ("Apache-2.0 (the Noto emoji images); package MIT",
                                "Emoji images from Google's Noto Emoji (https://github.com/googlefonts/noto-emoji), Copyright Google Inc., "
                                "licensed under the Apache License 2.0; packaged by emoji-datasource-google (Cal Henderson, MIT).", "LICENSE"),
    "tuxpaint-stamps-default": ("GPL-2+", "Tux Paint stamps, Copyright 2002-2022 Bill Kendrick and the Tux Paint contributors, GPL-2 or later. "
                                "The images here are derived (rasterised/scaled) from them and are distributed under the same licence.",
                                "usr/share/doc/tuxpaint-stamps-default/copyright"),
    "dataset-fashion-mnist": ("MIT (Expat)", "Fashion-MNIST, Copyright 2017 Zalando SE (https://github.com/zalandoresearch/fashion-mnist), MIT License.",
                              "usr/share/doc/dataset-fashion-mnist/copyright"),
    "gnome-cards-data": ("GPL-3+", "Card decks from AisleRiot (GNOME), packaged as gnome-cards-data; Copyright the AisleRiot authors and the deck "
                         "artists, GPL-3 or later. The card images here are crops of the rendered decks, under the same licence.",
                         "usr/share/doc/gnome-cards-data/copyright"),
    "svg-country-flags": ("Public domain", "Country flags by svg-country-flags (https://github.com/hjnilsson/country-flags), taken from Wikipedia; "
                          "flags are public domain.", "README.md"),
    "flag-icons": ("MIT", "flag-icons, Copyright (c) 2013 Panayiotis Lipiridis, MIT License.", "LICENSE"),
    "iso-flags-png-320x240": ("Public domain", "Flags by the Linux Mint project (https://github.com/linuxmint/flags), dedicated to the public domain.",
                              "usr/share/doc/iso-flags-png-320x240/copyright"),
}


def attribution(fetched, roots):
    lines = ["# Attribution", "", "This folder was generated by Coin's `experiments/general/prepare.py` from the packages below. "
             "Each image keeps its source's licence; the JSON files' texts are derived from the same packages.", "",
             "| package | registry | version | licence | used for |", "|---|---|---|---|---|"]
    for package in sorted(SOURCE_NOTES):
        info = fetched[package]
        used = "base model (captions, instructions)" if package in BASE_PACKAGES else "held-out stream"
        lines.append(f"| {package} | {info['registry']} | {info['version']} | {SOURCE_NOTES[package][0]} | {used} |")
    for package in sorted(SOURCE_NOTES):
        licence, text, notice = SOURCE_NOTES[package]
        lines += ["", f"## {package} {fetched[package]['version']}", "", text, "", f"Licence: {licence}. The package's notice (`{notice}`):", "", "```"]
        with open(os.path.join(roots[package], notice), encoding="utf-8", errors="replace") as f:
            notice_text = f.read().strip()
        if package == "svg-country-flags":  # its README's licence paragraph, not the whole README
            notice_text = "\n".join(notice_text.split("\n\n")[2:4])
        lines += [notice_text.replace("```", "'''"), "```"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- main

def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=default_out(), help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--local", action="append", default=[], help="a folder of .deb/.tgz files to use before fetching (repeatable)")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, "manifest.json")):
        # The folder is replaced as a whole at the end: never one this script did not write.
        raise SystemExit(f"{out} exists and was not written by this script (no manifest.json); choose another --out")
    downloads = os.path.join(os.path.dirname(out), "general-downloads")
    timings = {}
    clock = time.time()

    def step(name):
        nonlocal clock
        now = time.time()
        timings[name] = round(now - clock, 1)
        log(f"[{timings[name]:7.1f} s] {name}")
        clock = now

    fetcher = Fetcher(downloads, [os.path.abspath(d) for d in args.local])
    roots = {p: fetcher.deb(p, v) for p, v in DEBS.items()}
    roots.update({p: fetcher.npm(p, v) for p, v in NPMS.items()})
    raster = Rasteriser(os.path.join(downloads, "raster-cache"))
    step("fetch and unpack")

    staging = f"{out}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)

    # The held-out stream first: its answers decide what the base may not contain.
    tasks = {
        "Fashion": build_fashion(roots["dataset-fashion-mnist"], staging, args.seed),
        "Cards": build_cards(roots["gnome-cards-data"], staging, args.seed, raster),
        "Flags": build_flags(roots["svg-country-flags"], roots["flag-icons"], roots["iso-flags-png-320x240"], staging, args.seed, raster),
    }
    metrics = {"Fashion": "exact-match", "Cards": "option-letter", "Flags": "exact-match"}
    for name, task in tasks.items():
        write_json(os.path.join(staging, "heldout", name, "train.json"), task["train"])
        write_json(os.path.join(staging, "heldout", name, "test.json"), task["test"])
        write_json(os.path.join(staging, "heldout", name, "meta.json"), task["meta"])
    step("held-out stream")

    drops = {}
    items = (openclipart_items(roots["openclipart-svg"], raster, drops)
             + emoji_items(roots["emoji-datasource"], roots["emoji-datasource-google"], drops)
             + tuxpaint_items(roots["tuxpaint-stamps-default"], raster, drops))
    found = {}
    for item in items:
        found[item.source] = found.get(item.source, 0) + 1
    vocabulary = heldout_vocabulary(tasks["Flags"]["all_names"])
    pattern = heldout_pattern(vocabulary)
    filtered = {}
    kept = []
    for item in items:
        hit = next((m.group(0) for t in item.texts() if (m := pattern.search(t))), None)
        if hit:
            filtered.setdefault(item.source, {"items": 0, "words": {}})
            filtered[item.source]["items"] += 1
            filtered[item.source]["words"][hit.lower()] = filtered[item.source]["words"].get(hit.lower(), 0) + 1
        else:
            kept.append(item)
    step("base: read labels and filter held-out words")

    # Render, then drop what rendered to nothing and exact duplicates (the same drawing under two names).
    seen = {}
    final = []
    counters = {}
    for n, item in enumerate(kept):
        if n % 500 == 0:
            log(f"  rendering base images: {n}/{len(kept)}")
        source = item.load()
        image = fit(source) if source is not None else None
        reason = ("render failed" if source is None else "blank" if image is None or is_blank(image) else None)
        if reason is None:
            digest = hashlib.sha256(image.tobytes()).hexdigest()
            if digest in seen:
                reason = "duplicate image"
            seen[digest] = True
        if reason:
            drops[f"{item.source}: {reason}"] = drops.get(f"{item.source}: {reason}", 0) + 1
            continue
        counters[item.source] = counters.get(item.source, 0) + 1
        item.path = f"base/images/{item.source}/{counters[item.source]:05d}.png"
        save_png(image, os.path.join(staging, item.path))
        final.append(item)
    step("base: render images")

    captions, instructions = base_rows(final, args.seed)
    caption_rows = [train_row(f"caption-{n:05d}", item.path, prompt, answer) for n, (item, prompt, answer) in enumerate(captions)]
    instruction_rows = [train_row(f"instruction-{n:05d}", item.path, prompt, answer) for n, (item, prompt, answer) in enumerate(instructions)]
    # The guarantee itself, checked on the rows: no held-out word and no held-out question anywhere in the base.
    questions = [FASHION_QUESTION, CARDS_QUESTION, FLAGS_QUESTION, CARDS_SUFFIX]
    for row in caption_rows + instruction_rows:
        for turn in row["conversations"]:
            assert not pattern.search(turn["value"]), (row["id"], turn["value"])
            assert not any(q.lower() in turn["value"].lower() for q in questions), row["id"]
    write_json(os.path.join(staging, "base", "captions.json"), caption_rows)
    write_json(os.path.join(staging, "base", "instructions.json"), instruction_rows)
    step("base: rows")

    with open(os.path.join(staging, "ATTRIBUTION.md"), "w", encoding="utf-8") as f:
        f.write(attribution(fetcher.used, roots))

    def per_source(rows):
        counts = {}
        for row in rows:
            source = row["image"].split("/")[2]
            counts[source] = counts.get(source, 0) + 1
        return dict(sorted(counts.items()))

    kinds = {}
    for item, prompt, answer in instructions:
        kind = ("choice" if "Reply with the letter" in prompt else "yesno" if "Answer yes or no" in prompt
                else "category" if "ategory" in prompt else "what")
        kinds[kind] = kinds.get(kind, 0) + 1
    with open(os.path.abspath(__file__), "rb") as f:
        script_sha = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "generator": "experiments/general/prepare.py",
        "script_sha256": script_sha,
        "seed": args.seed,
        "image_size": SIZE,
        "rsvg_convert": raster.version,
        "packages": {p: fetcher.used[p] for p in sorted(fetcher.used)},
        "pretrain": "base/captions.json",
        "instructions": "base/instructions.json",
        "tasks": [{"name": n, "train": f"heldout/{n}/train.json", "test": f"heldout/{n}/test.json", "metric": metrics[n], "modality": "image"} for n in tasks],
        "counts": {
            "base/captions.json": len(caption_rows),
            "base/instructions.json": len(instruction_rows),
            "base/images": len(final),
            **{f"heldout/{n}/{s}.json": len(t[s]) for n, t in tasks.items() for s in ("train", "test")},
        },
        "base": {
            "items_found": dict(sorted(found.items())),
            "items_kept": dict(sorted(counters.items())),
            "captions_per_source": per_source(caption_rows),
            "instructions_per_source": per_source(instruction_rows),
            "instructions_per_kind": dict(sorted(kinds.items())),
            "left_out": dict(sorted(drops.items())),
            "held_out_word_filter": {s: {"items": v["items"], "words": dict(sorted(v["words"].items(), key=lambda kv: (-kv[1], kv[0])))}
                                     for s, v in sorted(filtered.items())},
            "held_out_vocabulary": vocabulary,
        },
        "heldout": {
            "Fashion": {"classes": FASHION_CLASSES, "question": FASHION_QUESTION, "resize": "28x28 grey to 64x64 RGB, bilinear"},
            "Cards": {"train_decks": tasks["Cards"]["train_decks"], "test_decks": tasks["Cards"]["test_decks"], "left_out": ["swiss-xvii"],
                      "letters": {s: {l: sum(1 for r in tasks["Cards"][s] if (r.get("answer") or r.get("conversations", [{}, {}])[1].get("value")) == l)
                                      for l in "ABCD"} for s in ("train", "test")}},
            "Flags": {"countries": tasks["Flags"]["countries"], "lookalikes_left_out": tasks["Flags"]["lookalikes_left_out"],
                      "other_flag_drawn_left_out": tasks["Flags"]["other_flag_drawn_left_out"],
                      "train_styles": ["svg-country-flags png250px", "flag-icons 4x3"], "test_styles": ["iso-flags-png-320x240", "flag-icons 1x1"]},
        },
    }
    write_json(os.path.join(staging, "manifest.json"), manifest)  # last: a folder without it is incomplete

    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    os.replace(staging, out)
    step("attribution, manifest, publish")

    log(json.dumps({"out": out, "counts": manifest["counts"], "base": {k: manifest["base"][k] for k in
                    ("items_found", "items_kept", "left_out", "held_out_word_filter", "instructions_per_kind")},
                    "timings_s": timings}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
