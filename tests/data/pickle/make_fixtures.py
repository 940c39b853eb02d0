#!/usr/bin/env python3
"""PyTorch pickle checkpoints (torch.save) for PickleCheckpointTests, made by PyTorch itself:
  state.bin          a state dict in the zip format: float32, bfloat16, float16, int64, a 0-d tensor, and tensors that
                     share one storage (a slice at an offset, a transpose), as real checkpoints have
  mm_projector.bin   LLaVA-1.5's projector as its repository saves it (model.mm_projector.{0,2}.{weight,bias})
  legacy.bin         the pre-1.6 format (not a zip), which the reader refuses by name
  not-tensors.bin    a zip checkpoint whose pickle asks for os.system: it must be refused, and nothing run
  expected.safetensors  every tensor of state.bin and mm_projector.bin, for the comparison
  llama-bin/         hf-llama/llama-default's model (the same weights) as pytorch_model.bin shards with their index
Run with Debian's python3-torch:  /usr/bin/python3 tests/data/pickle/make_fixtures.py
"""
import collections
import io
import os
import pickle
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hf-llama"))
from make_goldens import BASE, VARIANTS, weights, write_safetensors  # noqa: E402


def main():
    torch.manual_seed(5)
    base = torch.randn(6, 4)
    state = collections.OrderedDict()
    state["layer.weight"] = base
    state["layer.rows_from_2"] = base[2:]          # shares base's storage at an offset
    state["layer.transposed"] = base.t()            # shares it with other strides
    state["half.weight"] = torch.randn(3, 5).half()
    state["bf16.weight"] = torch.randn(2, 7).bfloat16()
    state["steps"] = torch.tensor([3, 1, 4, 1, 5], dtype=torch.int64)
    state["scale"] = torch.tensor(0.125)
    torch.save(state, os.path.join(HERE, "state.bin"))

    projector = collections.OrderedDict()
    projector["model.mm_projector.0.weight"] = torch.randn(16, 8)
    projector["model.mm_projector.0.bias"] = torch.randn(16)
    projector["model.mm_projector.2.weight"] = torch.randn(16, 16)
    projector["model.mm_projector.2.bias"] = torch.randn(16)
    torch.save(projector, os.path.join(HERE, "mm_projector.bin"))

    torch.save(collections.OrderedDict(a=torch.ones(2)), os.path.join(HERE, "legacy.bin"), _use_new_zipfile_serialization=False)

    class Evil:
        def __reduce__(self):
            return (os.system, ("touch /tmp/coin-pickle-was-executed",))

    with zipfile.ZipFile(os.path.join(HERE, "not-tensors.bin"), "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(collections.OrderedDict(weight=Evil()), protocol=2))
        archive.writestr("archive/version", "3\n")

    expected = {k: v.float().contiguous() for k, v in state.items()}
    expected["scale"] = expected["scale"].reshape(1) if expected["scale"].dim() == 0 else expected["scale"]
    expected.update({k: v.contiguous() for k, v in projector.items()})
    expected["steps"] = state["steps"].float()
    write_safetensors(os.path.join(HERE, "expected.safetensors"), expected)

    # make_goldens seeds its variants 1, 2, …: llama-default is the first.
    cfg = {k: v for k, v in dict(BASE, **VARIANTS["llama-default"]).items() if v is not None}
    w = weights(cfg, 1)
    folder = os.path.join(HERE, "llama-bin")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(os.path.dirname(HERE), "hf-llama", "llama-default", "config.json")) as f:
        config = f.read()
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(config)
    names = sorted(w)
    shards = {"pytorch_model-00001-of-00002.bin": names[: len(names) // 2], "pytorch_model-00002-of-00002.bin": names[len(names) // 2:]}
    weight_map = {}
    for shard, keys in shards.items():
        torch.save(collections.OrderedDict((k, w[k]) for k in keys), os.path.join(folder, shard))
        weight_map.update({k: shard for k in keys})
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        import json
        json.dump({"metadata": {"total_size": sum(t.numel() * 4 for t in w.values())}, "weight_map": weight_map}, f, indent=1)
    print("wrote", sorted(os.listdir(HERE)))


if __name__ == "__main__":
    main()
