"""Extra golden fixtures in the format of testdata/golden/README.md, with configs unlike the bundled
ones (other sizes, head and kv-head counts, rope settings, image and patch sizes, activations), made
with whatever transformers is installed. They check that the runners read everything from
config.json and case.json. Usage: python3 make_extra_fixtures.py OUT_DIR
"""
import json
import math
import os
import sys

import torch
import transformers as T
from safetensors.torch import save_file

OUT = sys.argv[1]
VERSIONS = {"transformers": T.__version__, "torch": torch.__version__}


def reinit(model, seed):
    """Well-scaled random values, as the bundled fixtures use (so every parameter matters)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name.lower() and name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed" in name and p.dim() == 2 and "patch" not in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))
            else:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))


def write_case(name, model, kind, io, inputs, outputs, extra):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(d, "io.safetensors"))
    case = {"kind": kind, "inputs": inputs, "outputs": outputs, "dtype": "float32", "atol": 1e-4, "rtol": 1e-4,
            "config": "config.json", "weights": "model.safetensors", "versions": VERSIONS,
            "reference": type(model).__name__, "call": "see make_extra_fixtures.py"}
    case.update(extra)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(case, f, indent=1)


def causal_lm(name, kind, config, seed):
    torch.manual_seed(seed)
    model = (T.Qwen2ForCausalLM if kind.startswith("qwen2") else T.LlamaForCausalLM)(config).eval()
    reinit(model, seed)
    if config.tie_word_embeddings:
        model.tie_weights()
    model.generation_config.eos_token_id = None  # greedy ids run the full length, as in the bundled fixtures
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(3, config.vocab_size, (2, 11), generator=g)
    mask = torch.ones(2, 11, dtype=torch.long)
    mask[1, :4] = 0
    ids[1, :4] = 0
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits
        prompt = ids[:1, :]
        gen = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=9, do_sample=False,
                             num_beams=1, pad_token_id=0, use_cache=True)
    io = {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "prompt_ids": prompt,
          "logits": logits.float(), "generated_ids": gen}
    write_case(name, model, kind, io, ["input_ids", "attention_mask", "position_ids", "prompt_ids"],
               ["logits", "generated_ids"],
               {"compare_where": {"logits": "attention_mask"}, "exact_outputs": ["generated_ids"],
                "generation": {"max_new_tokens": 9, "do_sample": False, "pad_token_id": 0}})


def vision(name, kind, config, seed, cls):
    torch.manual_seed(seed)
    model = cls(config).eval()
    reinit(model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    px = torch.randn(2, 3, config.image_size, config.image_size, generator=g)
    with torch.no_grad():
        inner = model.vision_model(pixel_values=px, output_hidden_states=True)
        io = {"pixel_values": px, "last_hidden_state": inner.last_hidden_state, "pooler_output": inner.pooler_output,
              "hidden_states_penultimate": inner.hidden_states[-2]}
        outputs = ["last_hidden_state", "pooler_output", "hidden_states_penultimate"]
        if hasattr(model, "visual_projection"):
            io["image_embeds"] = model.visual_projection(inner.pooler_output)
            outputs.insert(2, "image_embeds")
    write_case(name, model, kind, io, ["pixel_values"], outputs, {})


def clip_text(name, config, seed):
    torch.manual_seed(seed)
    model = T.CLIPTextModelWithProjection(config).eval()
    reinit(model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(1, config.vocab_size - 2, (3, 13), generator=g)
    mask = torch.ones_like(ids)
    ids[0, 6] = config.eos_token_id          # first EOS mid-row, more tokens after it
    ids[0, 9] = config.eos_token_id
    ids[1, 12] = config.eos_token_id         # EOS last
    ids[2, 4] = config.eos_token_id          # EOS then padding
    ids[2, 5:] = 0
    mask[2, 5:] = 0
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask)
        pooled = model.text_model(input_ids=ids, attention_mask=mask).pooler_output
    io = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": out.last_hidden_state,
          "pooler_output": pooled, "text_embeds": out.text_embeds}
    write_case(name, model, "clip_text", io, ["input_ids", "attention_mask"],
               ["last_hidden_state", "pooler_output", "text_embeds"], {"eos_token_id": config.eos_token_id})


causal_lm("llama_gqa3_rope_llama3", "llama_causal_lm", T.LlamaConfig(
    vocab_size=96, hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=6,
    num_key_value_heads=3, head_dim=8, max_position_embeddings=128, rms_norm_eps=1e-5, attention_bias=True,
    tie_word_embeddings=False, rope_theta=500000.0,
    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 16}), 11)
causal_lm("llama_mha_linear_rope", "llama_causal_lm", T.LlamaConfig(
    vocab_size=70, hidden_size=32, intermediate_size=72, num_hidden_layers=2, num_attention_heads=2,
    num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, tie_word_embeddings=True,
    rope_theta=10000.0, rope_scaling={"rope_type": "linear", "factor": 2.0}), 12)
causal_lm("qwen2_kv1_tied", "qwen2_causal_lm", T.Qwen2Config(
    vocab_size=80, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=8,
    num_key_value_heads=1, max_position_embeddings=128, rms_norm_eps=1e-6, tie_word_embeddings=True,
    rope_theta=1000000.0), 13)
vision("clip_vision_48px_gelu", "clip_vision", T.CLIPVisionConfig(
    hidden_size=48, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4, image_size=48, patch_size=12,
    hidden_act="gelu", projection_dim=24, layer_norm_eps=1e-6), 14, T.CLIPVisionModelWithProjection)
vision("siglip_vision_40px", "siglip_vision", T.SiglipVisionConfig(
    hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2, image_size=40, patch_size=10),
    15, T.SiglipVisionModel)
clip_text("clip_text_eos63", T.CLIPTextConfig(
    vocab_size=64, hidden_size=40, intermediate_size=80, num_hidden_layers=2, num_attention_heads=5,
    max_position_embeddings=24, eos_token_id=63, bos_token_id=62, pad_token_id=0, projection_dim=16,
    hidden_act="gelu"), 16)
print("wrote", sorted(os.listdir(OUT)))
