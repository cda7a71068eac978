"""Captions for tiny-sd-shapes-quick.sh: the one-shape scenes whose shape is large and near the middle.

    python3 examples/train/centred_captions.py runs/sd-upright 0.3 0.065 runs/sd-upright/captions-centred.jsonl

reads DIR/scenes.jsonl and DIR/captions.jsonl of a `mix data synth --max-shapes 1` set and keeps the
scenes whose shape's bounding radius is at least MIN_RADIUS of the picture's shorter side and whose
centre lies within OFFSET of the picture's middle (as a share of its width and of its height). Each kept
picture gets three captions, as the shipped model's UNet recipe has them: "a red star", "红色星形" and the
generator's own ("a red star on a white background"). The image paths are the generator's.

A denoiser that must learn where a shape may lie as well as what it looks like first draws the average
over places: a blob. With the place and size nearly fixed, the average of a kind already has its outline.
"""
import json
import os
import sys

from short_captions import short


def main(folder, min_radius, offset, out):
    generated = {}
    for line in open(os.path.join(folder, "captions.jsonl"), encoding="utf-8"):
        pair = json.loads(line)
        generated[pair["image"]] = pair["caption"]
    kept = 0
    with open(out, "w", encoding="utf-8") as f:
        for line in open(os.path.join(folder, "scenes.jsonl"), encoding="utf-8"):
            scene = json.loads(line)
            if len(scene["shapes"]) != 1:
                sys.exit(f"{folder}/scenes.jsonl: {scene['id']} has {len(scene['shapes'])} shapes; "
                         "draw the scenes with --max-shapes 1")
            width, height, shape = scene["width"], scene["height"], scene["shapes"][0]
            if shape["radius"] < min_radius * min(width, height):
                continue
            if abs(shape["x"] / width - 0.5) > offset or abs(shape["y"] / height - 0.5) > offset:
                continue
            for caption in (*short(shape["colour"], shape["shape"]), generated[scene["image"]]):
                f.write(json.dumps({"image": scene["image"], "caption": caption},
                                   ensure_ascii=False, separators=(",", ":")) + "\n")
            kept += 1
    print(f"{out}: {kept} pictures, {3 * kept} captions")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
