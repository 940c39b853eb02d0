#!/usr/bin/env python3
"""A tiny LLaVA-OneVision in the llava-hf layout (LlavaOnevisionForConditionalGeneration: SigLIP tower, Qwen2 language
model; names as transformers < 4.52 saves them) and what transformers computes with it, for LlavaOnevisionTests. No
transformers here, so every step is written out in plain PyTorch and Pillow from image_processing_llava_onevision.py
and modeling_llava_onevision.py:
  the processor, for a sample's only image: as LLaVA-NeXT's (../anyres/make_expected.py: select_best_resolution, resize
        and pad for patching, divide_to_patches, the whole image resized to one tile first), then _preprocess resizes
        every patch to the tile size (an identity), rescales and normalises with SigLIP's 0.5 / 0.5
  the processor, for each of several images of one sample: pad_to_square with int(mean * 255) (127), resized whole to
        one tile, one patch
  the tower: ../vision/make_goldens.py (SiglipVisionModel's hidden states); vision_feature_layer -1 and
        vision_feature_select_strategy "full", LlavaOnevisionConfig's defaults
  the projector on every tile, then pack_image_features with vision_aspect_ratio anyres_max_N: as ../anyres/make_packed.py
        (its unpad_image; the bilinear shrink past N tiles' worth, image_newline after each row, at this fixture's sizes); one patch: its features and one
        image_newline
  the splice (masked_scatter at the image tokens) and the Qwen2 language model: ../hf-llama/make_goldens.py's forward,
        and ten greedy tokens recomputed from scratch
Sizes are scaled down: tile 32, patch 8, pinpoints the 3 x 3 grid of 32-pixel multiples, anyres_max_2 so that larger
grids shrink. Run with Debian's python3-torch and python3-pil:  /usr/bin/python3 tests/data/llava-onevision/make_fixture.py
"""
import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(DATA, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, os.path.join(DATA, "hf-llama"))
sys.path.insert(0, os.path.join(DATA, "anyres"))
llama = load("llama_goldens", "hf-llama/make_goldens.py")
vision = load("vision_goldens", "vision/make_goldens.py")
processor = load("anyres_expected", "anyres/make_expected.py")
packing = load("anyres_packed", "anyres/make_packed.py")
next_fixture = load("llava_next_fixture", "llava-next/make_fixture.py")

TILE, SIDE, MAX_TILES = 32, 4, 2
PINPOINTS = [[TILE * i, TILE * j] for i in range(1, 4) for j in range(1, 4)]
MEAN = np.array([0.5, 0.5, 0.5], dtype=np.float32)
STD = np.array([0.5, 0.5, 0.5], dtype=np.float32)
IMAGE_TOKEN = 60
VISION = {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 24, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": TILE, "patch_size": 8}
# Qwen2Config's defaults for what text_config leaves out.
TEXT = {"model_type": "qwen2", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 64, "max_position_embeddings": 256}
FULL_TEXT = dict(TEXT, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False, rms_norm_eps=1e-6,
                 use_sliding_window=False, sliding_window=4096, max_window_layers=28)
# (name, images of the sample, each with its folder): a sample's only image of several shapes, and two images in one sample.
CASES = [("small", [("small-20x12.png", "images")]), ("wide", [("wide-160x120.png", "images")]),
         ("tall", [("tall-43x200.png", "anyres")]), ("large", [("tall-83x129.png", "images")]),
         ("two", [("wide-200x43.png", "anyres"), ("square-32.png", "images")])]


def normalise(array):
    array = (array.astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((array - MEAN) / STD).transpose(2, 0, 1).copy()


def tiles_of(image):
    """get_image_patches, then _preprocess: [1 + rows * cols, 3, TILE, TILE] and the best pinpoint."""
    w, h = image.size
    best = processor.select_best_resolution((h, w), PINPOINTS)
    new_h, new_w = processor.patch_output_size((h, w), best)
    resized = np.array(image.resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None))
    (top, r_y), (left, r_x) = divmod(best[0] - new_h, 2), divmod(best[1] - new_w, 2)
    padded = np.pad(resized, ((top, top + r_y), (left, left + r_x), (0, 0)), mode="constant", constant_values=0)
    patches = [padded[i:i + TILE, j:j + TILE] for i in range(0, best[0], TILE) for j in range(0, best[1], TILE)]
    whole = np.array(image.resize((TILE, TILE), resample=Image.BICUBIC, reducing_gap=None))
    return np.stack([normalise(p) for p in [whole] + patches]), best


def square_of(image):
    """pad_to_square with int(mean * 255), then _preprocess's resize to the tile: [1, 3, TILE, TILE]."""
    w, h = image.size
    side = max(w, h)
    canvas = Image.new("RGB", (side, side), tuple(int(m * 255) for m in MEAN))
    canvas.paste(image, ((side - w) // 2, (side - h) // 2))
    return np.stack([normalise(np.array(canvas.resize((TILE, TILE), resample=Image.BICUBIC, reducing_gap=None)))])


def pack(image_feature, image_size, newline):
    """LlavaOnevisionModel.pack_image_features for one image."""
    if image_feature.shape[0] == 1:
        return torch.cat((image_feature[0], newline[None]), dim=0)
    base, grid = image_feature[0], image_feature[1:]
    best_h, best_w = processor.select_best_resolution(image_size, PINPOINTS)
    grid = grid.view(best_h // TILE, best_w // TILE, SIDE, SIDE, -1).permute(4, 0, 2, 1, 3).contiguous().flatten(1, 2).flatten(2, 3)
    grid = packing.unpad_image(grid, image_size)
    channels, height, width = grid.shape
    ratio = math.sqrt(height * width / (MAX_TILES * SIDE ** 2))
    if ratio > 1.1:
        grid = F.interpolate(grid[None], [int(height // ratio), int(width // ratio)], mode="bilinear")[0]
    grid = torch.cat((grid, newline[:, None, None].expand(*grid.shape[:-1], 1)), dim=-1)
    return torch.cat((base, grid.flatten(1, 2).transpose(0, 1)), dim=0)


def main():
    lm = llama.weights(FULL_TEXT, 91)
    tower = vision.weights(VISION, True, 92)
    torch.manual_seed(93)
    tensors, (w1, b1, w2, b2, newline) = next_fixture.llava_tensors(lm, tower, TEXT["hidden_size"], VISION["hidden_size"])
    config = {"architectures": ["LlavaOnevisionForConditionalGeneration"], "model_type": "llava_onevision",
              "image_token_index": IMAGE_TOKEN, "video_token_index": IMAGE_TOKEN + 1, "projector_hidden_act": "gelu",
              "vision_feature_layer": -1, "vision_feature_select_strategy": "full", "vision_aspect_ratio": f"anyres_max_{MAX_TILES}",
              "image_grid_pinpoints": PINPOINTS, "text_config": TEXT, "vision_config": VISION, "torch_dtype": "float32",
              "transformers_version": "4.45.0", "tie_word_embeddings": False}
    folder = os.path.join(HERE, "llava-onevision-tiny")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    llama.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)

    expected, metadata = {}, {}
    for case, images in CASES:
        before, between, after = [1, 5, 9, 13], [33], [17, 21, 25]
        ids, pieces, sizes = list(before), [], []
        for k, (name, where) in enumerate(images):
            image = Image.open(os.path.join(DATA, where, name)).convert("RGB")
            pixels = torch.from_numpy(tiles_of(image)[0] if len(images) == 1 else square_of(image))
            with torch.no_grad():
                states = vision.hidden_states(VISION, tower, pixels, True)
                projected = F.gelu(states[-1] @ w1.T + b1) @ w2.T + b2       # layer -1, every position ("full")
                packed = pack(projected, (image.height, image.width), newline)
            expected[f"{case}.{k}.pixels"], expected[f"{case}.{k}.packed"] = pixels, packed
            sizes.append([image.height, image.width, name, where])
            if k > 0:
                ids += between
            ids += [IMAGE_TOKEN] * packed.shape[0]
            pieces.append(packed)
        ids += after
        with torch.no_grad():
            embeds = lm["model.embed_tokens.weight"][torch.tensor([0 if i == IMAGE_TOKEN else i for i in ids])]
            embeds[torch.tensor(ids) == IMAGE_TOKEN] = torch.cat(pieces)           # masked_scatter, in order
            logits = llama.forward(FULL_TEXT, lm, ids, embeds)
            greedy, sequence = [], embeds
            for _ in range(10):
                token = int(llama.forward(FULL_TEXT, lm, None, sequence)[-1].argmax())
                greedy.append(token)
                sequence = torch.cat([sequence, lm["model.embed_tokens.weight"][token][None]])
        expected[case + ".logits"] = logits
        metadata[case] = json.dumps({"images": sizes, "before": before, "between": between, "after": after, "greedy": greedy})
        print(case, [tuple(expected[f"{case}.{k}.pixels"].shape) for k in range(len(images))],
              "image tokens", [p.shape[0] for p in pieces], "greedy", greedy)
    metadata["made_by"] = "tests/data/llava-onevision/make_fixture.py with torch " + torch.__version__
    processor.write_safetensors(os.path.join(HERE, "expected.safetensors"), expected, metadata)


def run_folder():
    """llava-onevision-run-tiny: the same shapes with a vocabulary of 300 and the byte-level tokenizer of
    ../llava-next/make_fixture.py, for a run through the host (mini-CoIN, LoRA, kill and resume); random weights."""
    llama.VOCAB, text = 300, dict(TEXT, vocab_size=300, max_position_embeddings=1024)
    try:
        lm = llama.weights(dict(FULL_TEXT, vocab_size=300), 101)
    finally:
        llama.VOCAB = 64
    tower = vision.weights(VISION, True, 102)
    torch.manual_seed(103)
    tensors, _ = next_fixture.llava_tensors(lm, tower, TEXT["hidden_size"], VISION["hidden_size"])
    folder = os.path.join(HERE, "llava-onevision-run-tiny")
    os.makedirs(folder, exist_ok=True)
    config = {"architectures": ["LlavaOnevisionForConditionalGeneration"], "model_type": "llava_onevision",
              "image_token_index": 299, "video_token_index": 298, "projector_hidden_act": "gelu", "vision_feature_layer": -1,
              "vision_feature_select_strategy": "full", "vision_aspect_ratio": f"anyres_max_{MAX_TILES}",
              "image_grid_pinpoints": PINPOINTS, "text_config": text, "vision_config": VISION, "torch_dtype": "float32",
              "tie_word_embeddings": False}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(next_fixture.byte_tokenizer(), f)
    llama.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    print("wrote", folder)


if __name__ == "__main__":
    main()
    run_folder()
