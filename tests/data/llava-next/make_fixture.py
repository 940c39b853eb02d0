#!/usr/bin/env python3
"""A tiny LLaVA-NeXT in the llava-hf layout (LlavaNextForConditionalGeneration, tensor names as transformers < 4.52
saves them: language_model.*, vision_tower.*, multi_modal_projector.*, image_newline) and what transformers computes
with it, for LlavaNextTests. No transformers here, so every step is written out in plain PyTorch and Pillow from
image_processing_llava_next.py and modeling_llava_next.py, reusing the project's other reference scripts:
  the processor: ../anyres/make_expected.py (select_best_resolution, resize and pad for patching, divide_to_patches,
        the whole image first, CLIP's rescale and normalisation), at tile 32 with LLaVA-NeXT's five pinpoints scaled to it
  the tower: ../vision/make_goldens.py (CLIPVisionModel's hidden states); vision_feature_layer -2 and
        vision_feature_select_strategy "default" (the class token dropped), as LlavaNextConfig's defaults
  the projector: LlavaNextMultiModalProjector (linear_1, GELU, linear_2) on every tile
  pack_image_features: ../anyres/make_packed.py (the grid's view/permute, unpad_image, image_newline after each row)
  the splice: the ids hold the image token once per packed feature (the processor expands it), and
        get_placeholder_mask / masked_scatter puts the features there in order
  the language model: ../hf-llama/make_goldens.py's forward on the spliced embeddings, and ten greedy tokens, each
        the argmax of the last position's logits appended as an id and recomputed from scratch
Run with Debian's python3-torch and python3-pil:  /usr/bin/python3 tests/data/llava-next/make_fixture.py
"""
import importlib.util
import json
import os
import sys

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

IMAGE_TOKEN = 63
VISION = {"model_type": "clip_vision_model", "hidden_size": 12, "intermediate_size": 24, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "projection_dim": 8}
TEXT = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 64, "rms_norm_eps": 1e-5, "max_position_embeddings": 256}
# What LlamaConfig and MistralConfig give for what text_config leaves out (LLaVA-NeXT pairs CLIP with Vicuna or Mistral).
FAMILIES = {
    "llama": ("llava-next-tiny", "expected.safetensors", TEXT, dict(TEXT, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False)),
    "mistral": ("llava-next-mistral-tiny", "expected-mistral.safetensors", dict(TEXT, model_type="mistral", rms_norm_eps=1e-6),
                dict(TEXT, model_type="mistral", rms_norm_eps=1e-6, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False,
                     sliding_window=4096)),
}
# (image file, folder): smaller than a tile, square, wide, tall, and 3 x 1 / 1 x 3 grids padded by odd amounts.
IMAGES = [("small-20x12.png", "images"), ("square-32.png", "images"), ("wide-160x120.png", "images"),
          ("tall-83x129.png", "images"), ("wide-200x43.png", "anyres"), ("tall-43x200.png", "anyres")]


def llava_tensors(lm, tower, hidden, width):
    """The tensors of a llava-hf folder (names as transformers < 4.52 saves them): the language model's and the tower's
    as given, the projector's and image_newline drawn from the current seed (LlavaNextModel draws the newline as
    randn(hidden) / sqrt(hidden); any values serve). Returns them and (w1, b1, w2, b2, newline)."""
    w1, b1 = torch.randn(hidden, width) * width ** -0.5, 0.1 * torch.randn(hidden)
    w2, b2 = torch.randn(hidden, hidden) * hidden ** -0.5, 0.1 * torch.randn(hidden)
    newline = torch.randn(hidden) * hidden ** -0.5
    tensors = {"language_model." + k: v for k, v in lm.items()}
    tensors.update({"vision_tower." + k: v for k, v in tower.items()})
    tensors.update({"multi_modal_projector.linear_1.weight": w1, "multi_modal_projector.linear_1.bias": b1,
                    "multi_modal_projector.linear_2.weight": w2, "multi_modal_projector.linear_2.bias": b2,
                    "image_newline": newline})
    return tensors, (w1, b1, w2, b2, newline)


def main(family, seed, images):
    folder_name, expected_name, text, full_text = FAMILIES[family]
    torch.manual_seed(seed)
    lm = llama.weights(full_text, seed)
    tower = vision.weights(VISION, False, seed + 1)
    torch.manual_seed(seed + 2)
    tensors, (w1, b1, w2, b2, newline) = llava_tensors(lm, tower, TEXT["hidden_size"], VISION["hidden_size"])
    config = {"architectures": ["LlavaNextForConditionalGeneration"], "model_type": "llava_next",
              "image_token_index": IMAGE_TOKEN, "projector_hidden_act": "gelu", "vision_feature_layer": -2,
              "vision_feature_select_strategy": "default", "image_grid_pinpoints": processor.PINPOINTS,
              "text_config": text, "vision_config": VISION, "torch_dtype": "float32", "transformers_version": "4.45.0",
              "ignore_index": -100, "pad_token_id": 0, "tie_word_embeddings": False}
    folder = os.path.join(HERE, folder_name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    llama.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)

    expected, metadata = {}, {}
    for name, where in images:
        image = Image.open(os.path.join(DATA, where, name)).convert("RGB")
        best, pixels = processor.process(image)
        pixels = torch.from_numpy(pixels)
        with torch.no_grad():
            states = vision.hidden_states(VISION, tower, pixels, False)
            selected = states[-2][:, 1:]                                   # layer -2, the class token dropped
            projected = F.gelu(selected @ w1.T + b1) @ w2.T + b2           # [tiles, 16, hidden]
            packed = packing.pack(projected, (image.height, image.width), newline, None)
            # Text before and after the image's tokens, as the processor expands one <image> into len(packed) of them.
            before, after = [1, 5, 9, 13], [17, 21, 25]
            ids = before + [IMAGE_TOKEN] * packed.shape[0] + after
            embeds = lm["model.embed_tokens.weight"][torch.tensor([0 if i == IMAGE_TOKEN else i for i in ids])]
            embeds[len(before):len(before) + packed.shape[0]] = packed
            logits = llama.forward(full_text, lm, ids, embeds)
            greedy, sequence = [], embeds
            for _ in range(10):
                token = int(llama.forward(full_text, lm, None, sequence)[-1].argmax())
                greedy.append(token)
                sequence = torch.cat([sequence, lm["model.embed_tokens.weight"][token][None]])
        expected[name + ".pixels"] = pixels
        expected[name + ".packed"] = packed
        expected[name + ".logits"] = logits
        metadata[name] = json.dumps({"height": image.height, "width": image.width, "best": best, "before": before,
                                     "after": after, "greedy": greedy})
        print(name, "best", best, "tiles", pixels.shape[0], "image tokens", packed.shape[0], "greedy", greedy)
    metadata["made_by"] = "tests/data/llava-next/make_fixture.py with torch " + torch.__version__
    processor.write_safetensors(os.path.join(HERE, expected_name), expected, metadata)


def byte_tokenizer():
    """A byte-level tokenizer.json: GPT-2's byte-to-character table, one token per byte, and an end token (id 256)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {b: b for b in printable}, 0
    for b in range(256):
        if b not in chars:
            chars[b], extra = 256 + extra, extra + 1
    return {"model": {"type": "BPE", "vocab": {chr(chars[b]): b for b in range(256)}, "merges": []},
            "added_tokens": [{"id": 256, "content": "</s>", "special": True}],
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False},
            "decoder": {"type": "ByteLevel"}}


def run_folder():
    """llava-next-run-tiny: the same shapes with a vocabulary of 300 and a byte-level tokenizer, for a run through the
    host (training, evaluation, kill and resume); no reference values, random weights."""
    llama.VOCAB, text = 300, dict(TEXT, vocab_size=300, max_position_embeddings=512)
    try:
        lm = llama.weights(dict(text, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False), 81)
    finally:
        llama.VOCAB = 64
    tower = vision.weights(VISION, False, 82)
    torch.manual_seed(83)
    tensors, _ = llava_tensors(lm, tower, TEXT["hidden_size"], VISION["hidden_size"])
    folder = os.path.join(HERE, "llava-next-run-tiny")
    os.makedirs(folder, exist_ok=True)
    config = {"architectures": ["LlavaNextForConditionalGeneration"], "model_type": "llava_next", "image_token_index": 299,
              "projector_hidden_act": "gelu", "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
              "image_grid_pinpoints": processor.PINPOINTS, "text_config": text, "vision_config": VISION,
              "torch_dtype": "float32", "pad_token_id": 0, "tie_word_embeddings": False}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(byte_tokenizer(), f)
    llama.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    print("wrote", folder)


if __name__ == "__main__":
    main("llama", 61, IMAGES)
    main("mistral", 71, [IMAGES[2], IMAGES[5]])
    run_folder()
