"""The PyTorch eager yardstick for `mix bench train`: the same LLaVA training step in plain PyTorch.

usage: /usr/bin/python3 bench/torch_train_step.py [--mode stage1,stage2] [--shape real|tiny] [--layers N]
                                                  [--batch 4] [--tokens 512] [--steps 3] [--warmup 1]
                                                  [--threads 2] [--json OUT]

Runs with Debian's python3-torch (1.13, OpenBLAS); no transformers needed: the models are Hugging Face's
eager math written out (transformers' modeling_clip / modeling_llava / modeling_qwen2):
  - CLIP vision tower: patch conv without bias, class token + position embeddings, pre-LN, pre-norm layers
    (LN1, attention with q scaled after projection, LN2, fc1 / quick_gelu / fc2), post-LN on the CLS token;
    LLaVA's features are hidden_states[-2] without the CLS token (every layer runs, as in transformers).
  - projector: linear_1 (vision -> text width), exact gelu, linear_2.
  - Qwen2 decoder: RMSNorm (fp32 variance), q/k/v with bias, o without, rotate_half RoPE, repeat_kv GQA,
    matmul / sqrt(d) + additive causal mask, fp32 softmax, SiLU-gated MLP, final norm, tied LM head over
    every position.
  - loss: cross-entropy of logits[:, :-1] against labels[:, 1:] with -100 ignored, summed and divided by
    the number of targets (mix4j's CausalLmLoss / Trainer).
  - stage1 trains the projector; stage2 also LoRA r=16 alpha=32 on q/k/v/o_proj (peft: A Kaiming-uniform,
    B zero, base(x) + (x @ A^T @ B^T) * alpha / r). requires_grad only on what trains.
  - step: forward, backward, clip_grad_norm_(1.0), torch.optim.AdamW(lr 1e-4, weight_decay 0), zero_grad.
Same batch as mix4j's: per sample one prompt token, the image's tokens, then text labelled as targets;
random weights (normal, std 0.02), seeded. The shapes are those of mix-cli's TrainShape; keep them in step.

Prints one JSON object (also written to --json): per mode the step seconds (median/min/max of the timed
steps), tokens/s, forward / backward / clip+AdamW seconds, peak resident MiB (VmHWM, reset before each
mode), trainable values and the last loss; and the environment (threads, OPENBLAS_CORETYPE, torch).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "real": dict(vision=dict(d=768, inter=3072, layers=12, heads=12, image=224, patch=16),
                 llm=dict(vocab=151936, d=896, inter=4864, layers=24, heads=14, kv_heads=2, eps=1e-6, theta=1e6)),
    "tiny": dict(vision=dict(d=64, inter=128, layers=2, heads=4, image=64, patch=16),
                 llm=dict(vocab=512, d=96, inter=192, layers=2, heads=4, kv_heads=2, eps=1e-6, theta=1e6)),
}
LORA_R, LORA_ALPHA, LORA_TARGETS = 16, 32, ("q_proj", "k_proj", "v_proj", "o_proj")


# ------------------------------------------------------------------------------------------- LoRA
class LoraLinear(nn.Module):
    """A frozen linear with an optional adapter: W x + b + (x A^T) B^T * scale."""

    def __init__(self, d_in, d_out, bias):
        super().__init__()
        self.base = nn.Linear(d_in, d_out, bias=bias)
        self.lora_A = None
        self.lora_B = None
        self.scale = 0.0

    def adapt(self, r, alpha):
        self.lora_A = nn.Parameter(torch.empty(r, self.base.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(self.base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        y = self.base(x)
        if self.lora_A is not None:
            y = y + (x @ self.lora_A.t()) @ self.lora_B.t() * self.scale
        return y


# ------------------------------------------------------------------------------------------- CLIP
class ClipLayer(nn.Module):
    def __init__(self, d, inter, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.layer_norm1 = nn.LayerNorm(d, eps=1e-5)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1, self.fc2 = nn.Linear(d, inter), nn.Linear(inter, d)

    def attention(self, x):
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.heads, self.head_dim).transpose(1, 2)  # [B, H, N, Dh]
        q = split(self.q_proj(x) * self.head_dim ** -0.5)
        k, v = split(self.k_proj(x)), split(self.v_proj(x))
        w = F.softmax(q @ k.transpose(-1, -2), dim=-1)  # [B, H, N, N]
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, n, d))

    def forward(self, x):
        x = x + self.attention(self.layer_norm1(x))
        h = self.fc1(self.layer_norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))  # quick_gelu


class ClipVision(nn.Module):
    def __init__(self, d, inter, layers, heads, image, patch):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, d, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.position_embedding = nn.Parameter(torch.zeros((image // patch) ** 2 + 1, d))
        self.pre_layrnorm = nn.LayerNorm(d, eps=1e-5)
        self.layers = nn.ModuleList(ClipLayer(d, inter, heads) for _ in range(layers))
        self.post_layernorm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, pixels):
        p = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # [B, N, D]
        x = torch.cat([self.class_embedding.expand(p.shape[0], 1, -1), p], dim=1) + self.position_embedding
        x = self.pre_layrnorm(x)
        hidden = [x]
        for layer in self.layers:
            x = layer(x)
            hidden.append(x)
        self.post_layernorm(x[:, 0])  # the pooled output transformers computes (and LLaVA ignores)
        return hidden[-2][:, 1:]  # LLaVA: feature layer -2, patch tokens


# ------------------------------------------------------------------------------------------- Qwen2
class RmsNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class QwenLayer(nn.Module):
    def __init__(self, d, inter, heads, kv_heads, eps):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        self.input_layernorm = RmsNorm(d, eps)
        self.q_proj = LoraLinear(d, heads * self.head_dim, True)
        self.k_proj = LoraLinear(d, kv_heads * self.head_dim, True)
        self.v_proj = LoraLinear(d, kv_heads * self.head_dim, True)
        self.o_proj = LoraLinear(heads * self.head_dim, d, False)
        self.post_attention_layernorm = RmsNorm(d, eps)
        self.gate_proj, self.up_proj = nn.Linear(d, inter, bias=False), nn.Linear(d, inter, bias=False)
        self.down_proj = nn.Linear(inter, d, bias=False)

    def attention(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)  # [B, H, T, Dh]
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)  # [B, KV, T, Dh]
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        groups = self.heads // self.kv_heads  # repeat_kv
        k = k[:, :, None].expand(b, self.kv_heads, groups, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        v = v[:, :, None].expand(b, self.kv_heads, groups, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        w = F.softmax(q @ k.transpose(2, 3) / math.sqrt(self.head_dim) + mask, dim=-1, dtype=torch.float32)
        return self.o_proj((w @ v).transpose(1, 2).reshape(b, t, -1))

    def forward(self, x, cos, sin, mask):
        x = x + self.attention(self.input_layernorm(x), cos, sin, mask)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Qwen2(nn.Module):
    def __init__(self, vocab, d, inter, layers, heads, kv_heads, eps, theta):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(QwenLayer(d, inter, heads, kv_heads, eps) for _ in range(layers))
        self.norm = RmsNorm(d, eps)
        hd = d // heads
        self.inv_freq = 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd)

    def forward(self, embeds):
        b, t, _ = embeds.shape
        freqs = torch.arange(t).float()[:, None] * self.inv_freq[None, :]  # [T, Dh/2]
        angles = torch.cat((freqs, freqs), dim=-1)
        cos, sin = angles.cos()[None, None], angles.sin()[None, None]  # [1, 1, T, Dh]
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]  # [1, 1, T, T]
        x = embeds
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return F.linear(self.norm(x), self.embed_tokens.weight)  # tied LM head: [B, T, V]


class Llava(nn.Module):
    def __init__(self, shape, layers):
        super().__init__()
        v, l = shape["vision"], dict(shape["llm"])
        if layers > 0:
            l["layers"] = layers
        self.vision_tower = ClipVision(**v)
        self.linear_1, self.linear_2 = nn.Linear(v["d"], l["d"]), nn.Linear(l["d"], l["d"])
        self.language_model = Qwen2(**l)

    def loss_sum(self, pixels, ids, labels, image_tokens):
        features = self.linear_2(F.gelu(self.linear_1(self.vision_tower(pixels))))  # [B, N, D]
        text = self.language_model.embed_tokens(ids)
        embeds = torch.cat([text[:, :1], features, text[:, 1 + image_tokens:]], dim=1)  # image after the first token
        logits = self.language_model(embeds)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                               ignore_index=-100, reduction="sum")


# ------------------------------------------------------------------------------------------- bench
def peak_mib(reset=False):
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def blas_library():
    """The BLAS this process mapped: Debian's libblas.so.3 is the slow reference BLAS unless OpenBLAS is chosen."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return sorted(os.path.realpath(p) for p in paths)


def batch(shape, n, tokens, vocab):
    g = torch.Generator().manual_seed(5)
    side = shape["vision"]["image"]
    image = (side // shape["vision"]["patch"]) ** 2
    ids = torch.randint(0, vocab - 1, (n, tokens), generator=g)
    labels = ids.clone()
    labels[:, :1 + image] = -100
    pixels = torch.randn(n, 3, side, side, generator=g)
    return pixels, ids, labels, image


def set_mode(model, mode):
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = list(model.linear_1.parameters()) + list(model.linear_2.parameters())
    for layer in model.language_model.layers:
        for name in LORA_TARGETS:
            proj = getattr(layer, name)
            if mode == "stage2":
                proj.adapt(LORA_R, LORA_ALPHA)
                trainable += [proj.lora_A, proj.lora_B]
            else:
                proj.lora_A = proj.lora_B = None
    if mode not in ("stage1", "stage2"):
        raise SystemExit("unknown --mode " + mode)
    for p in trainable:
        p.requires_grad_(True)
    return trainable


def measure(model, mode, data, a):
    trainable = set_mode(model, mode)
    opt = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    pixels, ids, labels, image = data
    units = int((labels[:, 1:] != -100).sum())
    peak_mib(reset=True)
    rows = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = model.loss_sum(pixels, ids, labels, image)
        t1 = time.perf_counter()
        (loss / units).backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        if i >= a.warmup:
            rows.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2, loss.item() / units))
        print("  ... %s step %d: %.2f s" % (mode, i + 1, t3 - t0), file=sys.stderr, flush=True)
    stats = lambda xs: {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}
    tokens = ids.numel()
    return {"step_s": stats([r[0] for r in rows]), "tokens_per_step": tokens,
            "tokens_per_s": stats([tokens / r[0] for r in rows]),
            "forward_s": stats([r[1] for r in rows]), "backward_s": stats([r[2] for r in rows]),
            "clip_adamw_s": stats([r[3] for r in rows]), "peak_rss_mib": peak_mib(),
            "trainable_values": sum(p.numel() for p in trainable), "loss_last": rows[-1][4]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", default="stage1,stage2")
    ap.add_argument("--shape", default="real", choices=sorted(SHAPES))
    ap.add_argument("--layers", type=int, default=0, help="decoder layers (0: the shape's)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    shape = SHAPES[a.shape]
    t0 = time.perf_counter()
    model = Llava(shape, a.layers)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1 and "norm" not in name:
                p.normal_(0, 0.02)
    init_s = time.perf_counter() - t0
    data = batch(shape, a.batch, a.tokens, shape["llm"]["vocab"])
    out = {"peer": "pytorch eager", "shape": a.shape, "decoder_layers": len(model.language_model.layers),
           "batch": a.batch, "tokens_per_sample": a.tokens, "image_tokens_per_sample": data[3],
           "steps": a.steps, "warmup": a.warmup, "init_s": init_s,
           "env": {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(),
                   "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                   "load_average_start": list(os.getloadavg())}}
    for mode in a.mode.split(","):
        out[mode] = measure(model, mode, data, a)
    out["env"]["load_average_end"] = list(os.getloadavg())
    text = json.dumps(out, indent=1)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
