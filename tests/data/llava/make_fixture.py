#!/usr/bin/env python3
"""A tiny model folder in the original LLaVA layout (LlavaLlamaForCausalLM, as liuhaotian/llava-v1.5-7b ships it):
config.json with model_type llava_llama and the mm_* fields, the language model and the projector in
pytorch_model.bin (model.mm_projector.0 / .2), and expected.json with the language model's logits (the reference
forward of ../hf-llama/make_goldens.py) and the projector's output for given features (Linear, GELU, Linear, as
LLaVA's mlp2x_gelu). Run with Debian's python3-torch:  /usr/bin/python3 tests/data/llava/make_fixture.py
"""
import collections
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hf-llama"))
from make_goldens import BASE, forward, weights  # noqa: E402

MM_HIDDEN = 12


def main():
    cfg = dict(BASE, model_type="llava_llama", architectures=["LlavaLlamaForCausalLM"], max_position_embeddings=4096,
               mm_hidden_size=MM_HIDDEN, mm_projector_type="mlp2x_gelu", mm_vision_select_layer=-2,
               mm_vision_select_feature="patch", mm_vision_tower="openai/clip-vit-large-patch14-336",
               image_aspect_ratio="pad", mm_use_im_start_end=False, mm_use_im_patch_token=False,
               mm_patch_merge_type="flat", tune_mm_mlp_adapter=False, freeze_mm_mlp_adapter=False,
               tokenizer_model_max_length=2048, tokenizer_padding_side="right", use_mm_proj=True,
               pad_token_id=0, bos_token_id=1, eos_token_id=2, pretraining_tp=1, use_cache=True)
    w = weights(cfg, 21)
    torch.manual_seed(22)
    hidden = cfg["hidden_size"]
    projector = collections.OrderedDict()
    projector["model.mm_projector.0.weight"] = torch.randn(hidden, MM_HIDDEN) * MM_HIDDEN ** -0.5
    projector["model.mm_projector.0.bias"] = 0.1 * torch.randn(hidden)
    projector["model.mm_projector.2.weight"] = torch.randn(hidden, hidden) * hidden ** -0.5
    projector["model.mm_projector.2.bias"] = 0.1 * torch.randn(hidden)
    folder = os.path.join(HERE, "llava-v1.5-tiny")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    state = collections.OrderedDict(w)
    state.update(projector)
    torch.save(state, os.path.join(folder, "pytorch_model.bin"))
    # LLaVA's pretraining stage saves the projector alone, under the same names.
    torch.save(projector, os.path.join(HERE, "mm_projector.bin"))

    ids = [(5 * i + 2) % 64 for i in range(24)]
    features = torch.randn(3, MM_HIDDEN)
    with torch.no_grad():
        logits = forward(cfg, w, ids)
        h = F.gelu(features @ projector["model.mm_projector.0.weight"].T + projector["model.mm_projector.0.bias"])
        projected = h @ projector["model.mm_projector.2.weight"].T + projector["model.mm_projector.2.bias"]
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"input_ids": ids, "logits": logits.tolist(), "features": features.tolist(), "projected": projected.tolist(),
                   "made_by": "tests/data/llava/make_fixture.py with torch " + torch.__version__}, f)
    print("wrote", folder)


if __name__ == "__main__":
    main()
