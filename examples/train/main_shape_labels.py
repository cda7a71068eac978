"""Labels for the image_to_image term of examples/train/tiny-clip-shapes-main.yaml: each pair's
picture labelled with the colour and kind of its scene's main shape ("red star"), the one that covers
the most of the picture.

    python3 examples/train/main_shape_labels.py IN.jsonl OUT.jsonl PREFIX=SCENES.jsonl [PREFIX=SCENES.jsonl ...]

IN is a caption file as `mix data synth`, ShrinkPairs and short_captions.py write them ({"image":
PREFIX + "images/NAME.png" (or .jpg), "caption": ...}); each PREFIX (the part of the image path
before "images/", possibly empty) names the scenes.jsonl of `mix data synth` its pictures came from.
OUT is IN with "label" added to every pair; a picture no scenes file describes is an error.
"""
import json
import math
import os
import sys


# The area of each kind drawn at radius r (mix-data's SceneRenderer: the radius is the bounding
# circle's), over r^2: a 48-gon, a square and a triangle with corners at 0.97 r, a star with points at
# 0.97 r and inner corners at 0.42 r, a ring from r to 0.55 r. A star reaches as far as a circle of
# the same radius but covers 38% of it, so the longest reach is not what a person calls the main shape.
AREA = {"circle": 24 * math.sin(math.pi / 24), "square": 2 * 0.97 ** 2, "triangle": 3 * math.sqrt(3) / 4 * 0.97 ** 2,
        "star": 5 * 0.97 * 0.42 * math.sin(math.pi / 5), "ring": math.pi * (1 - 0.55 ** 2)}


def main_shape(scene):
    """The scene's shape that covers the most pixels (its main shape), as "colour kind"."""
    shape = max(scene["shapes"], key=lambda s: AREA[s["shape"]] * s["radius"] ** 2)
    return shape["colour"] + " " + shape["shape"]


def main(src, dst, sources):
    labels = {}
    for source in sources:
        prefix, scenes = source.split("=", 1)
        for line in open(scenes, encoding="utf-8"):
            scene = json.loads(line)
            stem = os.path.splitext(os.path.basename(scene["image"]))[0]
            labels[prefix + "images/" + stem] = main_shape(scene)
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for number, line in enumerate(f, 1):
            pair = json.loads(line)
            key = os.path.splitext(pair["image"])[0]
            if key not in labels:
                sys.exit(f"{src}:{number}: no scene describes {pair['image']}")
            pair["label"] = labels[key]
            out.write(json.dumps(pair, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
