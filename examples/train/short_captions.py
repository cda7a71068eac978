"""Short captions for examples/train/tiny-clip-shapes.yaml: each scene's largest shape alone.

    python3 examples/train/short_captions.py runs/shapes-train/scenes.jsonl runs/shapes-train-64

writes OUT/captions-short.jsonl ("a red star") and OUT/captions-short-zh.jsonl ("红色星形"), image
paths as ShrinkPairs writes them (images/NAME.png). The full captions always name the background
and every shape; these pairs teach the model short queries such as `mix search --text "a red star"`.
"""
import json
import os
import sys

# the generator's names (mix-data Colour, ShapeKind)
ZH = {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色", "orange": "橙色", "purple": "紫色",
      "black": "黑色", "white": "白色", "circle": "圆形", "square": "正方形", "triangle": "三角形",
      "star": "星形", "ring": "圆环"}


def short(colour, kind):
    """The short English and Chinese captions of one shape: ("a red star", "红色星形")."""
    article = "an" if colour[0] in "aeiou" else "a"
    return f"{article} {colour} {kind}", ZH[colour] + ZH[kind]


def main(scenes, out):
    en, zh = [], []
    for line in open(scenes, encoding="utf-8"):
        scene = json.loads(line)
        main_shape = max(scene["shapes"], key=lambda s: s["radius"])
        english, chinese = short(main_shape["colour"], main_shape["shape"])
        image = "images/" + os.path.splitext(os.path.basename(scene["image"]))[0] + ".png"
        en.append({"image": image, "caption": english})
        zh.append({"image": image, "caption": chinese})
    for name, rows in (("captions-short.jsonl", en), ("captions-short-zh.jsonl", zh)):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
