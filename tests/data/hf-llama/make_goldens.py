#!/usr/bin/env python3
"""Reference logits for tiny random LLaMA / Qwen2 / Mistral models in Hugging Face's layout, one folder per config
variant (config.json, model.safetensors, expected.json), for HuggingFaceVariantTests.

No transformers on this machine: the forward pass below is written from transformers' modeling_llama / modeling_qwen2 /
modeling_mistral and modeling_rope_utils (main, 2026), in plain PyTorch, independently of Coin's C# code. Run it with
Debian's python3-torch (apt-get install python3-torch):  /usr/bin/python3 tests/data/hf-llama/make_goldens.py
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 64


# ----- rotary frequencies (modeling_rope_utils) -------------------------------------------------------------------

def default_inv_freq(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def rope_frequencies(cfg, rope, dim, seq_len):
    """(inv_freq, attention_factor) for one forward pass whose longest position + 1 is seq_len."""
    base = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
    kind = rope.get("rope_type", rope.get("type", "default"))
    max_pos = cfg["max_position_embeddings"]
    if kind == "default":
        return default_inv_freq(base, dim), 1.0
    if kind == "linear":
        return default_inv_freq(base, dim) / rope["factor"], 1.0
    if kind == "dynamic":
        factor = rope["factor"]
        seq = max(seq_len, max_pos)
        base = base * ((factor * seq / max_pos) - (factor - 1)) ** (dim / (dim - 2))
        return default_inv_freq(base, dim), 1.0
    if kind == "llama3":
        inv_freq = default_inv_freq(base, dim)
        factor, low_f, high_f = rope["factor"], rope["low_freq_factor"], rope["high_freq_factor"]
        old = rope["original_max_position_embeddings"]
        low_wl, high_wl = old / low_f, old / high_f
        wavelen = 2 * math.pi / inv_freq
        inv_llama = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low_f) / (high_f - low_f)
        smoothed = (1 - smooth) * inv_llama / factor + smooth * inv_llama
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        return torch.where(medium, smoothed, inv_llama), 1.0
    if kind == "yarn":
        original = rope.get("original_max_position_embeddings") or max_pos
        factor = rope.get("factor")
        if factor is None:
            factor = max_pos / original

        def mscale_of(scale, m=1):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        attention = rope.get("attention_factor")
        if attention is None:
            if rope.get("mscale") and rope.get("mscale_all_dim"):
                attention = float(mscale_of(factor, rope["mscale"]) / mscale_of(factor, rope["mscale_all_dim"]))
            else:
                attention = mscale_of(factor)
        fast = rope.get("beta_fast") or 32
        slow = rope.get("beta_slow") or 1

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(fast), correction_dim(slow)
        if rope.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
        extrapolation = 1.0 / pos_freqs
        interpolation = 1.0 / (factor * pos_freqs)
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        extra_factor = 1 - ramp
        return interpolation * (1 - extra_factor) + extrapolation * extra_factor, attention
    raise ValueError(kind)


# ----- the decoder (modeling_llama and its Qwen2 / Mistral variants) ----------------------------------------------

def activation(name, x):
    return {
        "silu": F.silu,
        "gelu": F.gelu,
        "gelu_pytorch_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "quick_gelu": lambda t: t * torch.sigmoid(1.702 * t),
        "gelu_new": lambda t: 0.5 * t * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (t + 0.044715 * torch.pow(t, 3.0)))),
        "relu": F.relu,
    }[name](x)


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_is_sliding(cfg, i):
    kind = cfg["model_type"]
    if kind == "mistral":
        return cfg.get("sliding_window") is not None
    if kind == "qwen2":
        if not cfg.get("use_sliding_window", False) or cfg.get("sliding_window") is None:
            return False
        if cfg.get("layer_types") is not None:
            return cfg["layer_types"][i] == "sliding_attention"
        return i >= cfg.get("max_window_layers", 28)
    return False


def forward(cfg, w, ids, embeds=None):
    """Logits [tokens, vocab] of one unpadded sequence, eager attention in float32; EMBEDS [tokens, hidden], when
    given, stand in for the ids' embeddings (a multimodal model's spliced sequence)."""
    kind = cfg["model_type"]
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or hidden // heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    act = cfg.get("hidden_act", "silu")
    tokens = len(ids) if embeds is None else embeds.shape[0]
    positions = torch.arange(tokens)
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    inv_freq, attention_factor = rope_frequencies(cfg, rope, head_dim, tokens)
    freqs = (inv_freq[None, :, None].float() @ positions[None, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = (emb.cos() * attention_factor)[0], (emb.sin() * attention_factor)[0]

    def linear(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    x = w["model.embed_tokens.weight"][torch.tensor(ids)] if embeds is None else embeds
    q_idx, kv_idx = positions[:, None], positions[None, :]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, p + "self_attn.q_proj").view(tokens, heads, head_dim).transpose(0, 1)
        k = linear(h, p + "self_attn.k_proj").view(tokens, kv_heads, head_dim).transpose(0, 1)
        v = linear(h, p + "self_attn.v_proj").view(tokens, kv_heads, head_dim).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv_heads, dim=0)
        v = v.repeat_interleave(heads // kv_heads, dim=0)
        allowed = kv_idx <= q_idx
        if layer_is_sliding(cfg, i):
            allowed = allowed & (kv_idx > q_idx - cfg["sliding_window"])
        scores = (q @ k.transpose(1, 2)) * head_dim ** -0.5
        scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
        attended = torch.softmax(scores, dim=-1, dtype=torch.float32) @ v
        x = x + linear(attended.transpose(0, 1).reshape(tokens, heads * head_dim), p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + linear(activation(act, linear(h, p + "mlp.gate_proj")) * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


# ----- weights in Hugging Face's names, written as safetensors -----------------------------------------------------

def weights(cfg, seed):
    torch.manual_seed(seed)
    kind = cfg["model_type"]
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or hidden // heads
    inter = cfg["intermediate_size"]
    qkv_bias = kind == "qwen2" or kind == "llama" and cfg.get("attention_bias", False)
    o_bias = kind == "llama" and cfg.get("attention_bias", False)
    mlp_bias = kind == "llama" and cfg.get("mlp_bias", False)
    w = {"model.embed_tokens.weight": torch.randn(VOCAB, hidden), "model.norm.weight": 1 + 0.1 * torch.randn(hidden)}
    if not cfg.get("tie_word_embeddings"):
        w["lm_head.weight"] = torch.randn(VOCAB, hidden) * 0.2
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes = {"self_attn.q_proj": (heads * head_dim, hidden), "self_attn.k_proj": (kv_heads * head_dim, hidden),
                  "self_attn.v_proj": (kv_heads * head_dim, hidden), "self_attn.o_proj": (hidden, heads * head_dim),
                  "mlp.gate_proj": (inter, hidden), "mlp.up_proj": (inter, hidden), "mlp.down_proj": (hidden, inter)}
        for name, shape in shapes.items():
            w[p + name + ".weight"] = torch.randn(*shape) * shape[1] ** -0.5
            has_bias = (qkv_bias and name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj")
                        or o_bias and name == "self_attn.o_proj" or mlp_bias and name.startswith("mlp."))
            if has_bias:
                w[p + name + ".bias"] = 0.1 * torch.randn(shape[0])
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(hidden)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(hidden)
    return w


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = tensors[name].contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


BASE = {"vocab_size": VOCAB, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "max_position_embeddings": 64, "tie_word_embeddings": False, "torch_dtype": "float32"}

VARIANTS = {
    # The plain model every other variant differs from (the test checks that each one's logits do).
    "llama-default": {"model_type": "llama"},
    "llama-rope-linear": {"model_type": "llama", "rope_scaling": {"rope_type": "linear", "factor": 4.0}},
    "llama-rope-dynamic": {"model_type": "llama", "max_position_embeddings": 16, "rope_scaling": {"type": "dynamic", "factor": 2.0}},
    "llama-rope-llama3": {"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                                   "high_freq_factor": 4.0, "original_max_position_embeddings": 16}},
    # transformers v5's layout: θ inside rope_parameters, none at the top level.
    "llama-rope-parameters-v5": {"model_type": "llama", "rope_theta": None, "rope_parameters": {
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16}},
    "llama-rope-yarn": {"model_type": "llama", "max_position_embeddings": 64, "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
                                                                                                "original_max_position_embeddings": 16}},
    "llama-rope-yarn-mscale": {"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
                                                                        "mscale": 0.707, "mscale_all_dim": 1.0, "beta_fast": 16, "truncate": False}},
    "llama-head-dim-biases-gelu": {"model_type": "llama", "head_dim": 12, "attention_bias": True, "mlp_bias": True,
                                   "hidden_act": "gelu_pytorch_tanh"},
    "llama-gelu-tied": {"model_type": "llama", "hidden_act": "gelu", "tie_word_embeddings": True},
    "qwen2-sliding-window": {"model_type": "qwen2", "use_sliding_window": True, "sliding_window": 5, "max_window_layers": 1},
    "mistral-sliding-window": {"model_type": "mistral", "sliding_window": 6, "head_dim": 16},
}


def main():
    ids = [(7 * i + 3) % VOCAB for i in range(40)]
    for seed, (name, overrides) in enumerate(VARIANTS.items(), start=1):
        cfg = dict(BASE)
        cfg.update(overrides)
        cfg = {k: v for k, v in cfg.items() if v is not None}
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        w = weights(cfg, seed)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(folder, "model.safetensors"), w)
        with torch.no_grad():
            logits = forward(cfg, w, ids)
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump({"input_ids": ids, "logits": [[float(v) for v in row] for row in logits.tolist()],
                       "made_by": "tests/data/hf-llama/make_goldens.py with torch " + torch.__version__}, f)
        print(f"{name}: logits {tuple(logits.shape)}, |logits| max {logits.abs().max().item():.3f}")


if __name__ == "__main__":
    main()
