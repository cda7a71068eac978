"""Expected LLaVA-NeXT anyres pixel_values for AnyResReferenceTest.

Transcribes transformers 4.47 LlavaNextImageProcessor.preprocess for one image (select_best_resolution,
get_patch_output_size, _resize_for_patching, _pad_for_patching, divide_to_patches, the base image resized to
(shortest_edge, shortest_edge), then each patch through the CLIP _preprocess: shortest-edge resize, center crop,
rescale, normalize) with PIL and numpy only, so it runs without transformers. Writes <case>.f32, the
[patches, 3, crop, crop] float32 values little-endian. Run: python3 make_reference.py
"""
import math

import numpy as np
from PIL import Image

CROP = 30  # crop_size and size.shortest_edge; not a power of two
PINPOINTS = [[30, 90], [90, 30], [60, 90]]  # 1x3, 3x1, 2x3
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
CASES = {"wide_200x15": (200, 15), "narrow_7x20": (7, 20), "grid_47x50": (47, 50)}  # width x height


def make_image(width, height):
    y, x = np.mgrid[0:height, 0:width]
    chans = [(x * 37 + y * 11 + c * 71 + (x * y) % 17) % 256 for c in range(3)]
    return np.stack(chans, axis=-1).astype(np.uint8)  # [H, W, 3]


def select_best_resolution(original_size, possible_resolutions):
    original_height, original_width = original_size
    best_fit, max_effective, min_wasted = None, 0, float("inf")
    for height, width in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        dw, dh = int(original_width * scale), int(original_height * scale)
        effective = min(dw * dh, original_width * original_height)
        wasted = width * height - effective
        if effective > max_effective or (effective == max_effective and wasted < min_wasted):
            max_effective, min_wasted, best_fit = effective, wasted, (height, width)
    return best_fit


def get_patch_output_size(image, target):
    original_height, original_width = image.shape[:2]
    target_height, target_width = target
    scale_w, scale_h = target_width / original_width, target_height / original_height
    if scale_w < scale_h:
        return min(math.ceil(original_height * scale_w), target_height), target_width
    return target_height, min(math.ceil(original_width * scale_h), target_width)


def pil_resize(image, height, width):
    return np.array(Image.fromarray(image).resize((width, height), resample=Image.BICUBIC, reducing_gap=None))


def preprocess_patch(image):
    h, w = image.shape[:2]
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = CROP, int(CROP * long / short)
    image = pil_resize(image, *((new_short, new_long) if h <= w else (new_long, new_short)))
    h, w = image.shape[:2]
    top, left = (h - CROP) // 2, (w - CROP) // 2
    image = image[top:top + CROP, left:left + CROP]
    image = (image.astype(np.float64) * (1 / 255)).astype(np.float32)
    image = (image - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return image.transpose(2, 0, 1)


def pixel_values(image):
    best = select_best_resolution(image.shape[:2], PINPOINTS)
    new_h, new_w = get_patch_output_size(image, best)
    resized = pil_resize(image, new_h, new_w)
    new_h, new_w = get_patch_output_size(resized, best)
    paste_x, paste_y = (best[1] - new_w) // 2, (best[0] - new_h) // 2
    padded = np.pad(resized, ((paste_y, paste_y), (paste_x, paste_x), (0, 0)), constant_values=0)
    patches = [padded[i:i + CROP, j:j + CROP] for i in range(0, padded.shape[0], CROP)
               for j in range(0, padded.shape[1], CROP)]
    base = pil_resize(image, CROP, CROP)
    print(image.shape[:2], "->", best, "fit", (new_h, new_w), "padded", padded.shape[:2],
          "patches", [p.shape[:2] for p in patches])
    return np.stack([preprocess_patch(p) for p in [base] + patches]).astype("<f4")


if __name__ == "__main__":
    for name, (w, h) in CASES.items():
        pixel_values(make_image(w, h)).tofile(name + ".f32")
