"""Writes testdata/extra/unet_text_time (run once; the tests need no Python).

    /usr/bin/python3 testdata/extra/make_unet_text_time.py [DIFFUSERS_SRC]

DIFFUSERS_SRC as for make_controlnet_nonsquare.py, whose stand-in modules and safetensors reader and
writer this script borrows by importing it. The case is kind unet2d_condition: the UNet of
testdata/golden/unet2d_condition with two config keys changed,

* addition_embed_type "text" (addition_embed_type_num_heads 4): diffusers' TextTimeEmbedding pools
  the encoder hidden states (layer norm, attention pooling whose query is the states' mean plus a
  learnt position, a linear to the time embedding's width, a layer norm) and adds the result to the
  time embedding;
* time_embedding_act_fn "silu", so the case also pins down that the pooled prompt is added before
  that activation;

its other tensors the bundled ones and add_embedding.* drawn afresh (make_controlnet_nonsquare's
reinit). Inputs are the bundled case's sample, timestep and encoder_hidden_states. As checks the
script re-runs the bundled case first, and asserts that the new tensors change the output by far
more than the tolerance.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_controlnet_nonsquare as ref  # noqa: E402  (puts diffusers 0.31.0 on the path)

from diffusers import UNet2DConditionModel  # noqa: E402

torch = ref.torch
BUNDLED = os.path.join(ref.HERE, "..", "golden", "unet2d_condition")
OUT = os.path.join(ref.HERE, "unet_text_time")
SEED = 1818
WEIGHTS = "diffusion_pytorch_model.safetensors"


def forward(unet, io, dtype):
    unet = unet.to(dtype)
    out = unet(io["sample"].to(dtype), io["timestep"], encoder_hidden_states=io["encoder_hidden_states"].to(dtype)).sample
    unet.float()
    return out


def main():
    torch.set_grad_enabled(False)
    with open(os.path.join(BUNDLED, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(BUNDLED, "case.json")) as f:
        bundled_case = json.load(f)
    io = ref.load_file(os.path.join(BUNDLED, "io.safetensors"))
    weights = ref.load_file(os.path.join(BUNDLED, WEIGHTS))

    check = ref.max_abs(forward(ref.component(UNet2DConditionModel, BUNDLED), io, torch.float32), io["out_sample"])
    print("bundled unet2d_condition re-run, max abs diff:", check)
    assert check < 1e-4, check

    config.update(addition_embed_type="text", addition_embed_type_num_heads=4, time_embedding_act_fn="silu")
    unet = UNet2DConditionModel.from_config(config).eval()
    missing, unexpected = unet.load_state_dict(weights, strict=False)
    assert missing and all(k.startswith("add_embedding.") for k in missing) and not unexpected, (missing, unexpected)
    ref.reinit(unet.add_embedding, torch.Generator().manual_seed(SEED))

    out = forward(unet, io, torch.float32)
    noise = ref.max_abs(out, forward(unet, io, torch.float64))
    without = dict(unet.state_dict())
    for name in without:
        if name.startswith("add_embedding.proj."):
            without[name] = torch.zeros_like(without[name])
    plain = UNet2DConditionModel.from_config(config).eval()
    plain.load_state_dict(without)
    effect = ref.max_abs(out, forward(plain, io, torch.float32))
    print("fp32 vs fp64:", noise, "; the pooled prompt moves the output by", effect)
    assert effect > 100 * bundled_case["atol"], effect

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    unet.save_config(OUT)
    ref.save_file(unet.state_dict(), os.path.join(OUT, WEIGHTS))
    ref.save_file({"sample": io["sample"], "timestep": io["timestep"],
                   "encoder_hidden_states": io["encoder_hidden_states"], "out_sample": out},
                  os.path.join(OUT, "io.safetensors"))
    case = dict(bundled_case)
    case.update({
        "reference": "diffusers 0.31.0 UNet2DConditionModel (testdata/extra/make_unet_text_time.py)",
        "call": bundled_case["call"] + " The config adds addition_embed_type 'text' (TextTimeEmbedding over "
                "encoder_hidden_states, 4 pooling heads, added to the time embedding) and time_embedding_act_fn "
                "'silu' (applied after that sum); add_embedding.* are new random tensors, the others the bundled "
                "unet2d_condition's.",
        "seed": SEED,
        "reference_fp32_vs_fp64_max_abs_diff": {"out_sample": float(f"{noise:.3g}")},
        "output_change_without_the_pooled_prompt": float(f"{effect:.3g}"),
        "versions": {"torch": torch.__version__, "diffusers": ref.diffusers.__version__},
        "files": sorted(os.listdir(OUT) + ["case.json"]),
    })
    with open(os.path.join(OUT, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
