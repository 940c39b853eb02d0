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

import importlib.util  # noqa: E402

# The vision towers' script has the same module name as the language models': loaded by its path.
_spec = importlib.util.spec_from_file_location("vision_goldens", os.path.join(HERE, "..", "vision", "make_goldens.py"))
_vision = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_vision)
tower_weights = _vision.weights

MM_HIDDEN = 12


def projector_weights(hidden, mm_hidden):
    """mlp2x_gelu's tensors (Linear mm_hidden → hidden, GELU, Linear hidden → hidden), drawn from the current seed."""
    return (torch.randn(hidden, mm_hidden) * mm_hidden ** -0.5, 0.1 * torch.randn(hidden),
            torch.randn(hidden, hidden) * hidden ** -0.5, 0.1 * torch.randn(hidden))


def project(features, w1, b1, w2, b2):
    return F.gelu(features @ w1.T + b1) @ w2.T + b2


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
    tensors = projector_weights(hidden, MM_HIDDEN)
    projector = collections.OrderedDict(zip(
        ["model.mm_projector.0.weight", "model.mm_projector.0.bias", "model.mm_projector.2.weight", "model.mm_projector.2.bias"], tensors))
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
        projected = project(features, *tensors)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"input_ids": ids, "logits": logits.tolist(), "features": features.tolist(), "projected": projected.tolist(),
                   "made_by": "tests/data/llava/make_fixture.py with torch " + torch.__version__}, f)
    print("wrote", folder)
    llava_hf()


VISION = {"model_type": "clip_vision_model", "hidden_size": 12, "intermediate_size": 24, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "projection_dim": 8}


def write_llava_hf(name, text, full, seed):
    """Writes the folder NAME as transformers' llava-hf folders hold a model (LlavaForConditionalGeneration, names as
    transformers < 4.52 saves them): config.json with the partial TEXT as text_config and VISION, and
    language_model.* / vision_tower.* / multi_modal_projector.* tensors in one model.safetensors, the language model's
    drawn from FULL (its config with the family's defaults filled in) with SEED, the tower's with SEED + 1, the
    projector's with SEED + 2. Returns the language model's tensors and the projector's."""
    from make_goldens import write_safetensors
    config = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 63,
              "projector_hidden_act": "gelu", "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
              "text_config": text, "vision_config": VISION, "torch_dtype": "float32", "transformers_version": "4.45.0",
              "ignore_index": -100, "pad_token_id": 0}
    lm = weights(full, seed)
    tower = tower_weights(VISION, False, seed + 1)
    torch.manual_seed(seed + 2)
    projection = projector_weights(32, VISION["hidden_size"])
    tensors = {"language_model." + k: v for k, v in lm.items()}
    tensors.update({"vision_tower." + k: v for k, v in tower.items()})
    tensors.update(zip(["multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_1.bias",
                        "multi_modal_projector.linear_2.weight", "multi_modal_projector.linear_2.bias"], projection))
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    print("wrote", folder)
    return lm, projection


def llava_hf():
    """LLaVA-1.5 in the llava-hf layout: a partial text_config (LlamaConfig's defaults fill the rest), the language
    model's logits and the projector's outputs (expected-hf.json)."""
    text = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 64, "rms_norm_eps": 1e-5, "max_position_embeddings": 64}
    # The reference forward reads a full config: LlamaConfig's defaults for what text_config leaves out.
    full = dict(text, rope_theta=10000.0, hidden_act="silu", tie_word_embeddings=False)
    lm, projection = write_llava_hf("llava-1.5-hf-tiny", text, full, 31)
    ids = [(3 * i + 1) % 64 for i in range(20)]
    features = torch.randn(2, VISION["hidden_size"])
    with torch.no_grad():
        logits = forward(full, lm, ids)
        projected = project(features, *projection)
    with open(os.path.join(HERE, "expected-hf.json"), "w") as f:
        json.dump({"input_ids": ids, "logits": logits.tolist(), "features": features.tolist(), "projected": projected.tolist(),
                   "made_by": "tests/data/llava/make_fixture.py with torch " + torch.__version__}, f)


# LlavaConfig writes text_config as a diff against the family's own config class: these are what transformers'
# Qwen2Config and MistralConfig give for a field left out (configuration_qwen2.py, configuration_mistral.py).
FAMILY_DEFAULTS = {
    "qwen2": {"rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False, "rms_norm_eps": 1e-6,
              "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 28},
    "mistral": {"rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False, "rms_norm_eps": 1e-6,
                "sliding_window": 4096},
}


def llava_hf_family(kind, seed):
    """A llava-hf folder whose language model is Qwen2 or Mistral (as llava-interleave-qwen and LLaVA-NeXT's Mistral
    hold it), text_config written with only the fields that differ from the family's defaults, and its reference
    logits (expected-hf-KIND.json). Mistral's sliding window is left at its default (4096, wider than the ids)."""
    text = {"model_type": kind, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 64, "max_position_embeddings": 64}
    full = dict(FAMILY_DEFAULTS[kind], **text)
    lm, _ = write_llava_hf(f"llava-hf-{kind}-tiny", text, full, seed)
    ids = [(7 * i + 3) % 64 for i in range(20)]
    with torch.no_grad():
        logits = forward(full, lm, ids)
    with open(os.path.join(HERE, f"expected-hf-{kind}.json"), "w") as f:
        json.dump({"input_ids": ids, "logits": logits.tolist(),
                   "made_by": "tests/data/llava/make_fixture.py with torch " + torch.__version__}, f)


if __name__ == "__main__":
    # "families" writes only the Qwen2 and Mistral folders, leaving the LLaVA-1.5 fixtures as they are.
    if sys.argv[1:] != ["families"]:
        main()
    llava_hf_family("qwen2", 41)
    llava_hf_family("mistral", 51)
