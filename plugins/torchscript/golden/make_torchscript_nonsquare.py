"""Writes the torchscript_nonsquare golden fixture (run once; the tests need no Python).

    python3 plugins/torchscript/golden/make_torchscript_nonsquare.py

A tiny vision encoder traced at a non-square size with a CLS token, batch 3:
pixel_values [3, 3, 24, 40] -> 1 + (24/8)*(40/8) = 16 tokens of width 32, and a LLaVA-style
projector [B, N, 32] -> [B, N, 48]. The same layout as testdata/golden/torchscript_block (kind
torchscript_block, run by TorchScriptCaseRunner): case.json, encoder.pt, connector.pt,
io.safetensors (inputs and torch's float32 outputs). The safetensors file is written by hand
(8-byte little-endian header length, JSON header, raw little-endian data), so only torch and
numpy are needed.
"""
import json
import os
import struct
import zipfile

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torchscript_nonsquare")
SEED = 43
B, H, W, PATCH, CH, DV, HIDDEN, D = 3, 24, 40, 8, 16, 32, 64, 48
GRID = (H // PATCH, W // PATCH)
N = 1 + GRID[0] * GRID[1]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, CH, 3, padding=1)
        self.patch = nn.Conv2d(CH, DV, PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, DV) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, N, DV) * 0.1)
        self.norm = nn.LayerNorm(DV, eps=1e-5)

    def forward(self, pixel_values):
        x = self.patch(torch.nn.functional.silu(self.stem(pixel_values)))  # [B, DV, H/p, W/p]
        x = x.flatten(2).transpose(1, 2)  # [B, rows*cols, DV], row-major
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        return self.norm(x + self.pos)


class Connector(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(DV, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, D)

    def forward(self, vision_features):
        return self.fc2(torch.nn.functional.gelu(self.fc1(vision_features)))


def save_traced(module, example, name):
    path = os.path.join(OUT, name)
    traced = torch.jit.trace(module, example)
    torch.jit.save(traced, path)
    # drop the *.debug_pkl records (source locations of this run), as torchscript_block does
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            if not item.filename.endswith(".debug_pkl"):
                dst.writestr(item, src.read(item.filename))
    os.replace(tmp, path)
    return torch.jit.load(path)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = np.ascontiguousarray(t.detach().numpy().astype("<f4")).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(SEED)
    encoder, connector = Encoder().eval(), Connector().eval()
    pixel_values = torch.randn(B, 3, H, W)
    vision_features = torch.randn(B, N, DV)
    with torch.no_grad():
        enc = save_traced(encoder, pixel_values, "encoder.pt")
        con = save_traced(connector, vision_features, "connector.pt")
        outputs = {
            "encoder_output": enc(pixel_values),
            "connector_output": con(vision_features),
            "pipeline_output": con(enc(pixel_values)),
        }
        # the loaded archives agree with the eager modules, at batch 3 and at batch 1
        assert torch.allclose(outputs["encoder_output"], encoder(pixel_values), atol=1e-6)
        assert torch.allclose(enc(pixel_values[:1]), outputs["encoder_output"][:1], atol=1e-5)
        enc64 = encoder.double()
        con64 = connector.double()
        fp64 = {
            "encoder_output": enc64(pixel_values.double()),
            "connector_output": con64(vision_features.double()),
            "pipeline_output": con64(enc64(pixel_values.double())),
        }
    diffs = {k: float("%.3g" % (outputs[k].double() - fp64[k]).abs().max().item()) for k in outputs}
    write_safetensors(os.path.join(OUT, "io.safetensors"),
                      {"pixel_values": pixel_values, "vision_features": vision_features, **outputs})
    case = {
        "kind": "torchscript_block",
        "reference": "torch %s torch.jit.trace + torch.jit.save (modules defined in "
                     "plugins/torchscript/golden/make_torchscript_nonsquare.py)" % torch.__version__,
        "call": "encoder = torch.jit.load('encoder.pt'); connector = torch.jit.load('connector.pt'); "
                "encoder_output = encoder(pixel_values); connector_output = connector(vision_features); "
                "pipeline_output = connector(encoder(pixel_values)).",
        "inputs": ["pixel_values", "vision_features"],
        "outputs": ["encoder_output", "connector_output", "pipeline_output"],
        "modules": {
            "encoder.pt": {
                "role": "a vision tower traced at a non-square size (height 24, width 40) with a CLS token",
                "architecture": "[B, 3, H, W] -> conv3x3 (pad 1) -> SiLU -> conv patch x patch (stride patch) -> "
                                "flatten to tokens [B, rows*cols, Dv] (rows = H/patch, cols = W/patch, row-major) -> "
                                "prepend CLS [1, 1, Dv] -> + position embedding [1, N, Dv] -> LayerNorm(Dv, eps 1e-5)",
                "input": {"name": "pixel_values", "shape": [B, 3, H, W], "dtype": "float32"},
                "output": {"name": "encoder_output", "shape": [B, N, DV], "dtype": "float32"},
                "shape_constraints": "H and W are fixed at the traced size (the position embedding has N entries); "
                                     "the batch dimension is free",
                "sizes": {"channels": CH, "dv": DV, "patch": PATCH, "grid": list(GRID), "prefix_tokens": 1,
                          "num_tokens": N},
            },
            "connector.pt": {
                "role": "LLaVA-style projector: [B, N, Dv] -> [B, N, D]",
                "architecture": "Linear(Dv, H) -> GELU (erf) -> Linear(H, D)",
                "input": {"name": "vision_features", "shape": [B, N, DV], "dtype": "float32"},
                "output": {"name": "connector_output", "shape": [B, N, D], "dtype": "float32"},
                "shape_constraints": "batch and token dimensions are free; the last dimension must be Dv",
                "sizes": {"dv": DV, "hidden": HIDDEN, "d": D},
            },
        },
        "dtype": "float32",
        "atol": 1e-4,
        "rtol": 1e-4,
        "reference_fp32_vs_fp64_max_abs_diff": diffs,
        "seed": SEED,
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "files": ["case.json", "connector.pt", "encoder.pt", "io.safetensors"],
    }
    with open(os.path.join(OUT, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
