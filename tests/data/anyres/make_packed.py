#!/usr/bin/env python3
"""What transformers' pack_image_features makes of one image's projected tile features, for AnyResolutionTests:
LlavaNextModel's (no shrinking) and LlavaOnevisionModel's (anyres_max_N: bilinear shrinking when the unpadded grid
holds more than N tiles' worth by a ratio above 1.1), each written out from modeling_llava_next.py and
modeling_llava_onevision.py in plain PyTorch (select_best_resolution and the safetensors writer shared with
make_expected.py): get_anyres_image_grid_shape, the view/permute/flatten into the padded
image's layout, unpad_image (round(..., 7) then int), interpolate, image_newline after each row, the whole image's
features first. Random features (seeded); sizes small (tile 32, 4 x 4 positions a tile, 8 channels).
Run with Debian's python3-torch:  /usr/bin/python3 tests/data/anyres/make_packed.py
"""
import json
import math
import os

import torch

from make_expected import PINPOINTS, TILE, select_best_resolution, write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
SIDE, CHANNELS = 4, 8
# (name, original height, width, anyres_max_N or None)
CASES = [("wide", 43, 200, None), ("tall", 200, 43, None), ("square", 32, 32, None), ("photo", 120, 160, None),
         ("onevision-shrinks", 120, 160, 1), ("onevision-keeps", 120, 160, 9), ("onevision-tall", 200, 43, 1)]


def unpad_image(tensor, original_size):
    original_height, original_width = original_size
    current_height, current_width = tensor.shape[1:]
    if original_width / original_height > current_width / current_height:
        new_height = int(round(original_height * (current_width / original_width), 7))
        padding = (current_height - new_height) // 2
        return tensor[:, padding:current_height - padding, :]
    new_width = int(round(original_width * (current_height / original_height), 7))
    padding = (current_width - new_width) // 2
    return tensor[:, :, padding:current_width - padding]


def pack(image_feature, image_size, newline, max_num_patches):
    base_image_feature, image_feature = image_feature[0], image_feature[1:]
    best_height, best_width = select_best_resolution(image_size, PINPOINTS)
    num_patch_height, num_patch_width = best_height // TILE, best_width // TILE
    image_feature = image_feature.view(num_patch_height, num_patch_width, SIDE, SIDE, -1)
    image_feature = image_feature.permute(4, 0, 2, 1, 3).contiguous().flatten(1, 2).flatten(2, 3)
    image_feature = unpad_image(image_feature, image_size)
    if max_num_patches is not None:
        channels, curr_height, curr_width = image_feature.shape
        ratio = math.sqrt(curr_height * curr_width / (max_num_patches * SIDE ** 2))
        if ratio > 1.1:
            image_feature = torch.nn.functional.interpolate(
                image_feature[None], [int(curr_height // ratio), int(curr_width // ratio)], mode="bilinear")[0]
    image_feature = torch.cat((image_feature, newline[:, None, None].expand(*image_feature.shape[:-1], 1)), dim=-1)
    image_feature = image_feature.flatten(1, 2).transpose(0, 1)
    return torch.cat((base_image_feature, image_feature), dim=0)


def main():
    generator = torch.Generator().manual_seed(11)
    newline = torch.randn(CHANNELS, generator=generator)
    tensors, metadata = {"newline": newline}, {}
    for name, height, width, max_n in CASES:
        best_height, best_width = select_best_resolution((height, width), PINPOINTS)
        tiles = 1 + (best_height // TILE) * (best_width // TILE)
        features = torch.randn(tiles, SIDE * SIDE, CHANNELS, generator=generator)
        tensors[name + ".features"] = features
        tensors[name + ".packed"] = pack(features, (height, width), newline, max_n)
        metadata[name] = json.dumps({"height": height, "width": width, "max": max_n})
        print(name, tuple(features.shape), "->", tuple(tensors[name + ".packed"].shape))
    write_safetensors(os.path.join(HERE, "packed.safetensors"), tensors, metadata)


if __name__ == "__main__":
    main()
