#!/usr/bin/env bash
# Writes a tiny two-task CoIN-format stream of real photographs into OUT_DIR, small enough (8 train + 2 test rows per
# task) for a full-size LLaVA-1.5-7B run on a CPU:
#   OUT_DIR/images/*.png|jpg                      media folder (real files, no links: Coin refuses media outside it)
#   OUT_DIR/Identify/{train,test}.json            "What is in the image? Answer with one word."  -> exact-match
#   OUT_DIR/Choice/{train,test}.json              ScienceQA-style A/B/C question                 -> option-letter
#   OUT_DIR/LICENSES.txt                          where each photo comes from and its licence
# The photos are scikit-image's sample data, shipped by Debian's python3-skimage; only photos whose docstring states
# public domain or CC0 are used (the motorcycle and moon have no stated licence, so they are left out). The package
# also pulls in python3-pil, used here for the crops and resizes. Deterministic: same package, same bytes.
# Usage: experiments/scale/make-stream.sh OUT_DIR [TRAIN_ROWS TEST_ROWS]   (as root, or with python3-skimage
# installed). TRAIN_ROWS and TEST_ROWS keep the first rows of each task (at most 8 and 2): a 7B step on a CPU takes
# minutes, so the full-size script trains on 2 rows per task.
set -euo pipefail
out=${1:?usage: make-stream.sh OUT_DIR [TRAIN_ROWS TEST_ROWS]}
train_rows=${2:-8}
test_rows=${3:-2}
data=/usr/lib/python3/dist-packages/skimage/data

if [[ ! -f $data/astronaut.png ]]; then
  # The only download: Debian's python3-skimage (53 packages with its dependencies, about a minute here).
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || apt-get update -qq   # a fresh machine has no lists
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-skimage >/dev/null
fi
version=$(dpkg-query -W -f '${Version}' python3-skimage)

# Debian's python, not whatever python3 is first on PATH (a pyenv one has no PIL).
/usr/bin/python3 - "$out" "$data" "$version" "$train_rows" "$test_rows" <<'PY'
import json, os, shutil, sys
from PIL import Image

out, data, version, train_rows, test_rows = sys.argv[1:]
train_rows, test_rows = int(train_rows), int(test_rows)
os.makedirs(f"{out}/images", exist_ok=True)

# source file -> (credit and licence as scikit-image's skimage/data/_fetchers.py states them)
SOURCES = {
    "astronaut.png": "Eileen Collins, NASA Great Images database; public domain",
    "chelsea.png": "Chelsea the cat, photo by Stefan van der Walt; CC0",
    "coffee.png": "espresso, photo by Rachel Michetti, courtesy of Pikolo Espresso Bar; CC0",
    "rocket.jpg": "DSCOVR on Falcon 9, SpaceX; released into the public domain",
    "camera.png": "the cameraman, photo by Lav Varshney; CC0",
    "coins.png": "Greek coins from Pompeii, Brooklyn Museum collection; no known copyright restrictions",
    "hubble_deep_field.jpg": "Hubble eXtreme Deep Field, NASA; public domain",
    "retina.jpg": "fundus photograph of a normal left eye, Mikael Haggstrom, Wikimedia Commons; CC0 1.0",
    "brick.png": "bricks, CC0Textures (Bricks25), rotated/cropped/scaled by scikit-image; CC0",
    "grass.png": "grass, DeviantArt user linolafett (Grass-01), cropped by scikit-image; CC0",
}

# name -> (source, crop box or None, resize or None). Shapes on purpose: square, wide, tall, very wide/tall, small,
# grayscale PNGs, RGB JPEGs, one 2-megapixel image; crops keep the subject in frame.
IMAGES = {
    "astronaut.png": ("astronaut.png", None, None),                  # 512x512
    "cat.png": ("chelsea.png", None, None),                          # 451x300
    "coffee.png": ("coffee.png", None, None),                        # 600x400
    "rocket.jpg": ("rocket.jpg", None, None),                        # 640x427
    "photographer.png": ("camera.png", None, None),                  # 512x512 gray
    "astronaut-tall.png": ("astronaut.png", (90, 0, 346, 512), None),
    "cat-small.png": ("chelsea.png", None, (96, 64)),
    "rocket-tall.jpg": ("rocket.jpg", (220, 0, 420, 427), None),
    "coffee-tall.jpg": ("coffee.png", (160, 0, 440, 400), None),
    "photographer-wide.png": ("camera.png", (0, 60, 512, 260), None),
    "coins.png": ("coins.png", None, None),                          # 384x303 gray
    "galaxies.jpg": ("hubble_deep_field.jpg", None, None),           # 1000x872
    "eye.jpg": ("retina.jpg", None, None),                           # 1411x1411
    "grass.png": ("grass.png", None, None),                          # 512x512 gray
    "brick.png": ("brick.png", None, None),                          # 512x512 gray
    "galaxies-tall.jpg": ("hubble_deep_field.jpg", (350, 0, 650, 872), None),
    "coins-wide.png": ("coins.png", (0, 20, 384, 120), None),
    "eye-small.jpg": ("retina.jpg", None, (112, 112)),
    "coins-tall.png": ("coins.png", (0, 0, 170, 303), None),
    "brick-small.png": ("brick.png", None, (64, 64)),
}
sizes = {}
for name, (source, box, size) in IMAGES.items():
    if box is None and size is None:
        shutil.copyfile(f"{data}/{source}", f"{out}/images/{name}")   # the original bytes
    else:
        image = Image.open(f"{data}/{source}")
        image = image.crop(box) if box else image.resize(size, Image.LANCZOS)
        image.save(f"{out}/images/{name}", **({"quality": 90} if name.endswith(".jpg") else {}))
    with Image.open(f"{out}/images/{name}") as check:
        sizes[name] = f"{check.width}x{check.height} {check.mode}"

def write(task, train, test, question, answer_of):
    """train/test: image names; the subject is the name before any '-' or '.'."""
    os.makedirs(f"{out}/{task}", exist_ok=True)
    rows = []
    for i, image in enumerate(train):
        text, answer = question(i, image), answer_of(i, image)
        rows.append({"id": f"{task.lower()}-{i}", "image": image, "conversations": [
            {"from": "human", "value": f"<image>\n{text}"}, {"from": "gpt", "value": answer}]})
    with open(f"{out}/{task}/train.json", "w") as f: json.dump(rows[:train_rows], f, indent=1)
    # CoIN's test rows carry no <image> placeholder: the reader puts the image first.
    rows = [{"question_id": f"{task.lower()}-test-{i}", "image": image, "text": question(i, image),
             "answer": answer_of(i, image)} for i, image in enumerate(test, start=len(train))]
    with open(f"{out}/{task}/test.json", "w") as f: json.dump(rows[:test_rows], f, indent=1)

subject = lambda image: image.split("-")[0].split(".")[0]
write("Identify",
      ["astronaut.png", "cat.png", "coffee.png", "rocket.jpg", "photographer.png", "astronaut-tall.png", "cat-small.png", "rocket-tall.jpg"],
      ["coffee-tall.jpg", "photographer-wide.png"],
      lambda i, image: "What is in the image? Answer with one word.",
      lambda i, image: subject(image))

# Options: the subject and the next two in a fixed ring; the right letter cycles A, B, C with the row number.
RING = ["coins", "galaxies", "eye", "grass", "brick"]
def options(i, image):
    k = RING.index(subject(image))
    others = [RING[(k + 1) % len(RING)], RING[(k + 2) % len(RING)]]
    return others[:i % 3] + [RING[k]] + others[i % 3:]
write("Choice",
      ["coins.png", "galaxies.jpg", "eye.jpg", "grass.png", "brick.png", "galaxies-tall.jpg", "coins-wide.png", "eye-small.jpg"],
      ["coins-tall.png", "brick-small.png"],
      lambda i, image: "Which of these is shown?\n" + "".join(f"{'ABC'[j]}. {o}\n" for j, o in enumerate(options(i, image)))
                       + "Answer with the option's letter from the given choices directly.",
      lambda i, image: "ABC"[i % 3])

with open(f"{out}/LICENSES.txt", "w") as f:
    f.write(f"Photographs from scikit-image's sample data, Debian package python3-skimage {version}\n"
            "(/usr/lib/python3/dist-packages/skimage/data; Debian's copyright file: BSD-3-Clause for the package;\n"
            "the credits and licences below are the ones scikit-image states for each image in skimage/data/_fetchers.py).\n"
            "Files with a '-' in their name are crops or resizes of the source made by make-stream.sh.\n\n")
    for name, (source, _, _) in IMAGES.items():
        f.write(f"images/{name} ({sizes[name]}) <- {source}: {SOURCES[source]}\n")
print(f"wrote {out}: {len(IMAGES)} images, tasks Identify and Choice ({train_rows} train + {test_rows} test rows each)")
PY
