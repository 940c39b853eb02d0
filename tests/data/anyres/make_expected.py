#!/usr/bin/env python3
"""What transformers' LlavaNextImageProcessor (the slow one, image_processing_llava_next.py) makes of images under
`image_aspect_ratio: anyres`, for AnyResolutionTests. No transformers here, so its steps are written out as its code
runs them, with Pillow and NumPy:
  select_best_resolution: per pinpoint (height, width), scale = min(width / w, height / h), the downscaled size
        int(w * scale) x int(h * scale), effective = min(its area, w * h), wasted = height * width - effective; the most
        effective, ties to the least wasted, the first of equals
  get_patch_output_size: the side whose scale is smaller fills the target; the other is min(ceil(side * scale), target)
  _resize_for_patching: PIL bicubic to that size (reducing_gap None); _pad_for_patching: zeros, divmod(gap, 2) before,
        the rest after; divide_to_patches: tiles of crop_size, row by row
  the whole image: PIL bicubic to (shortest_edge, shortest_edge), first of the list
  _preprocess of each (CLIP's): the resize and crop are identities at the tile size; x * (1/255) in float64 then
        float32; (x - mean) / std in float32; channels first
Sizes are scaled down (tile 32, LLaVA-NeXT's five pinpoints at that tile) to keep the fixture small; the steps do not
depend on them. The images are tests/data/images' four and two written here (wide-200x43.png, tall-43x200.png).
Run with Debian's python3-pil and python3-numpy:  /usr/bin/python3 tests/data/anyres/make_expected.py
"""
import json
import math
import os
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "images")
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
TILE = 32
PINPOINTS = [[32, 64], [64, 32], [64, 64], [96, 32], [32, 96]]


def select_best_resolution(original_size, possible_resolutions):
    original_height, original_width = original_size
    best_fit, max_effective, min_wasted = None, 0, float("inf")
    for height, width in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        downscaled_width, downscaled_height = int(original_width * scale), int(original_height * scale)
        effective = min(downscaled_width * downscaled_height, original_width * original_height)
        wasted = width * height - effective
        if effective > max_effective or (effective == max_effective and wasted < min_wasted):
            max_effective, min_wasted, best_fit = effective, wasted, (height, width)
    return best_fit


def patch_output_size(original_size, target):
    original_height, original_width = original_size
    target_height, target_width = target
    scale_w, scale_h = target_width / original_width, target_height / original_height
    if scale_w < scale_h:
        return min(math.ceil(original_height * scale_w), target_height), target_width
    return target_height, min(math.ceil(original_width * scale_h), target_width)


def normalise(array):
    array = (array.astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((array - MEAN) / STD).transpose(2, 0, 1).copy()


def process(image):
    w, h = image.size
    best = select_best_resolution((h, w), PINPOINTS)
    new_h, new_w = patch_output_size((h, w), best)
    resized = np.array(image.resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None))
    (top, r_y), (left, r_x) = divmod(best[0] - new_h, 2), divmod(best[1] - new_w, 2)
    padded = np.pad(resized, ((top, top + r_y), (left, left + r_x), (0, 0)), mode="constant", constant_values=0)
    tiles = [padded[i:i + TILE, j:j + TILE] for i in range(0, best[0], TILE) for j in range(0, best[1], TILE)]
    whole = np.array(image.resize((TILE, TILE), resample=Image.BICUBIC, reducing_gap=None))
    return best, np.stack([normalise(t) for t in [whole] + tiles])


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(np.asarray(array), dtype=np.float32).tobytes()  # NumPy arrays or CPU tensors
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def main():
    # Two more aspect ratios, each best served by a pinpoint of its own (3 x 1 and 1 x 3 tiles) and padded by an odd
    # number of rows or columns (the odd one goes after), written here once.
    rng = np.random.default_rng(5)
    for name, (w, h) in {"wide-200x43.png": (200, 43), "tall-43x200.png": (43, 200)}.items():
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(os.path.join(HERE, name))
    tensors, metadata = {}, {}
    for name in ["small-20x12.png", "square-32.png", "tall-83x129.png", "wide-160x120.png", "wide-200x43.png", "tall-43x200.png"]:
        folder = HERE if os.path.exists(os.path.join(HERE, name)) else IMAGES
        image = Image.open(os.path.join(folder, name)).convert("RGB")
        best, pixels = process(image)
        tensors[name] = pixels
        metadata[name] = f"{best[0]}x{best[1]}"
    write_safetensors(os.path.join(HERE, "expected.safetensors"), tensors, metadata)
    for name, best in metadata.items():
        print(name, "best", best, "tiles", tensors[name].shape[0])


if __name__ == "__main__":
    main()
