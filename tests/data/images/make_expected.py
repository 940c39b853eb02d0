#!/usr/bin/env python3
"""Images and what transformers' CLIPImageProcessor (and LLaVA's pad-to-square before it) makes of them, for
ImageProcessingTests. No transformers here, so the processor's steps are written out as its code runs them:
  crop (CLIPImageProcessor): shortest edge to `size` (the long edge int(size * long / short), truncated),
        PIL bicubic, centre crop (top = (h - size) // 2), x * (1/255) in float64 then float32, (x - mean) / std
  pad (LLaVA-1.5): paste onto a square of the mean colour (int(m * 255)) at ((side - w) // 2, (side - h) // 2),
        then the same
Run with Debian's python3-pil and python3-numpy:  /usr/bin/python3 tests/data/images/make_expected.py
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hf-llama"))
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
SIZE = 32  # the steps do not depend on it; small keeps the fixtures small


def clip(image):
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = SIZE, int(SIZE * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    image = image.resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None)
    array = np.array(image)
    top, left = (array.shape[0] - SIZE) // 2, (array.shape[1] - SIZE) // 2
    array = array[top:top + SIZE, left:left + SIZE]
    array = (array.astype(np.float64) * (1 / 255)).astype(np.float32)
    array = (array - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return array.transpose(2, 0, 1).copy()


def pad(image):
    w, h = image.size
    if w == h:
        return clip(image)
    side = max(w, h)
    square = Image.new(image.mode, (side, side), tuple(int(x * 255) for x in MEAN))
    square.paste(image, ((side - w) // 2, (side - h) // 2))
    return clip(square)


def main():
    import torch  # only to reuse the safetensors writer's tensor input
    from make_goldens import write_safetensors
    rng = np.random.default_rng(3)
    shapes = {"wide-160x120": (120, 160), "tall-83x129": (129, 83), "square-32": (32, 32), "small-20x12": (12, 20)}
    expected = {}
    for name, (h, w) in shapes.items():
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 7) % 256], axis=-1)
        noise = rng.integers(0, 40, size=(h, w, 3))
        pixels = np.clip(base + noise - 20, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(os.path.join(HERE, name + ".png"))
        image = Image.open(os.path.join(HERE, name + ".png")).convert("RGB")
        expected[f"{name}.crop"] = torch.from_numpy(clip(image))
        expected[f"{name}.pad"] = torch.from_numpy(pad(image))
    write_safetensors(os.path.join(HERE, "expected.safetensors"), expected)
    print(sorted(expected))


if __name__ == "__main__":
    main()
