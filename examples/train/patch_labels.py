"""Patch labels for examples/train/tiny-clip-shapes-patches.yaml: which shape each patch of a picture covers.

    python3 examples/train/patch_labels.py runs/shapes-train/scenes.jsonl runs/shapes-train-64/patch-labels.jsonl 8

For every scene of a `mix data synth` scenes.jsonl, the picture (as ShrinkPairs writes it,
images/NAME.png, squeezed to a square without a crop) is cut into GRID x GRID patches, row by row,
as a ViT's patch grid is. A patch whose centre lies inside a shape's circle (the generator's centre
and radius, squeezed the same way) is labelled with that shape's kind, the nearest centre in units of
radius winning where two circles overlap; any other patch is background. The class indices are
those of the recipe's `training.classes`: background, circle, square, triangle, star, ring.
"""
import json
import math
import os
import sys

CLASSES = ["background", "circle", "square", "triangle", "star", "ring"]


def labels(scene, grid):
    width, height = scene["width"], scene["height"]
    out = []
    for row in range(grid):
        for col in range(grid):
            x = (col + 0.5) * width / grid
            y = (row + 0.5) * height / grid
            best, label = 1.0, 0
            for shape in scene["shapes"]:
                d = math.hypot(x - shape["x"], y - shape["y"]) / shape["radius"]
                if d <= best:
                    best, label = d, CLASSES.index(shape["shape"])
            out.append(label)
    return out


def main(scenes, out, grid):
    with open(out, "w", encoding="utf-8") as f:
        for line in open(scenes, encoding="utf-8"):
            scene = json.loads(line)
            image = "images/" + os.path.splitext(os.path.basename(scene["image"]))[0] + ".png"
            f.write(json.dumps({"image": image, "labels": labels(scene, grid)}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
