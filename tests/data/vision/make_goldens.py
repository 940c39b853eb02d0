#!/usr/bin/env python3
"""Tiny CLIP and SigLIP vision towers in Hugging Face's layout (config.json, model.safetensors) and their hidden
states for given pixels, for VisionTowerTests. The forward pass is written from transformers' modeling_clip and
modeling_siglip (CLIPVisionTransformer: class token, pre_layrnorm; SiglipVisionTransformer: no class token, no
pre-layernorm, a bias on the patch convolution), in plain PyTorch. hidden_states[0] is the embeddings' output
(after pre_layrnorm for CLIP), hidden_states[i] the output of layer i.
Run with Debian's python3-torch:  /usr/bin/python3 tests/data/vision/make_goldens.py
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hf-llama"))
from make_goldens import activation, write_safetensors  # noqa: E402


def weights(cfg, siglip, seed):
    torch.manual_seed(seed)
    h, inter, p = cfg["hidden_size"], cfg["intermediate_size"], cfg["patch_size"]
    patches = (cfg["image_size"] // p) ** 2
    w = {"vision_model.embeddings.patch_embedding.weight": torch.randn(h, 3, p, p) * (3 * p * p) ** -0.5,
         "vision_model.embeddings.position_embedding.weight": torch.randn(patches + (0 if siglip else 1), h) * 0.1,
         "vision_model.post_layernorm.weight": 1 + 0.1 * torch.randn(h), "vision_model.post_layernorm.bias": 0.1 * torch.randn(h)}
    if siglip:
        w["vision_model.embeddings.patch_embedding.bias"] = 0.1 * torch.randn(h)
        # The pooling head is part of SiglipVisionModel's checkpoint; vision-language models leave it unused.
        w["vision_model.head.probe"] = torch.randn(1, 1, h)
    else:
        w["vision_model.embeddings.class_embedding"] = torch.randn(h)
        w["vision_model.pre_layrnorm.weight"] = 1 + 0.1 * torch.randn(h)
        w["vision_model.pre_layrnorm.bias"] = 0.1 * torch.randn(h)
    for i in range(cfg["num_hidden_layers"]):
        q = f"vision_model.encoder.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w[q + f"self_attn.{name}.weight"] = torch.randn(h, h) * h ** -0.5
            w[q + f"self_attn.{name}.bias"] = 0.1 * torch.randn(h)
        w[q + "mlp.fc1.weight"], w[q + "mlp.fc1.bias"] = torch.randn(inter, h) * h ** -0.5, 0.1 * torch.randn(inter)
        w[q + "mlp.fc2.weight"], w[q + "mlp.fc2.bias"] = torch.randn(h, inter) * inter ** -0.5, 0.1 * torch.randn(h)
        for norm in ("layer_norm1", "layer_norm2"):
            w[q + f"{norm}.weight"], w[q + f"{norm}.bias"] = 1 + 0.1 * torch.randn(h), 0.1 * torch.randn(h)
    return w


def hidden_states(cfg, w, pixels, siglip):
    h, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    eps = cfg.get("layer_norm_eps", 1e-6 if siglip else 1e-5)
    act = cfg.get("hidden_act", "gelu_pytorch_tanh" if siglip else "quick_gelu")
    e = "vision_model.embeddings."
    x = F.conv2d(pixels, w[e + "patch_embedding.weight"], w.get(e + "patch_embedding.bias"), stride=cfg["patch_size"])
    x = x.flatten(2).transpose(1, 2)
    if not siglip:
        x = torch.cat([w[e + "class_embedding"].expand(x.shape[0], 1, -1), x], dim=1)
    x = x + w[e + "position_embedding.weight"].unsqueeze(0)
    if not siglip:
        x = F.layer_norm(x, (h,), w["vision_model.pre_layrnorm.weight"], w["vision_model.pre_layrnorm.bias"], eps)
    states = [x]
    n, t = x.shape[0], x.shape[1]
    d = h // heads
    for i in range(cfg["num_hidden_layers"]):
        q = f"vision_model.encoder.layers.{i}."
        r = x
        y = F.layer_norm(x, (h,), w[q + "layer_norm1.weight"], w[q + "layer_norm1.bias"], eps)
        proj = lambda name: (y @ w[q + f"self_attn.{name}.weight"].T + w[q + f"self_attn.{name}.bias"]).view(n, t, heads, d).transpose(1, 2)
        scores = (proj("q_proj") @ proj("k_proj").transpose(-1, -2)) * d ** -0.5
        attended = (torch.softmax(scores, dim=-1) @ proj("v_proj")).transpose(1, 2).reshape(n, t, h)
        x = r + attended @ w[q + "self_attn.out_proj.weight"].T + w[q + "self_attn.out_proj.bias"]
        r = x
        y = F.layer_norm(x, (h,), w[q + "layer_norm2.weight"], w[q + "layer_norm2.bias"], eps)
        y = activation(act, y @ w[q + "mlp.fc1.weight"].T + w[q + "mlp.fc1.bias"])
        x = r + y @ w[q + "mlp.fc2.weight"].T + w[q + "mlp.fc2.bias"]
        states.append(x)
    return states


def main():
    towers = {
        "clip-tiny": ({"model_type": "clip_vision_model", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 3,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "projection_dim": 8}, False),
        "siglip-tiny": ({"model_type": "siglip_vision_model", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 3,
                         "num_attention_heads": 2, "image_size": 32, "patch_size": 8}, True),
    }
    for seed, (name, (cfg, siglip)) in enumerate(towers.items(), start=41):
        w = weights(cfg, siglip, seed)
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(folder, "model.safetensors"), w)
        torch.manual_seed(seed + 100)
        pixels = torch.randn(2, 3, cfg["image_size"], cfg["image_size"])
        with torch.no_grad():
            states = hidden_states(cfg, w, pixels, siglip)
        write_safetensors(os.path.join(folder, "expected.safetensors"),
                          {"pixels": pixels, **{f"hidden_states.{i}": s for i, s in enumerate(states)}})
        print(name, [tuple(s.shape) for s in states][-1])


if __name__ == "__main__":
    main()
