# Writes resize_cases.bin: small random RGB images resized by Pillow with every filter, some with
# a box. Record: int32 LE inW, inH, outW, outH, PIL filter code, hasBox, 0; float32 LE box
# (x0, y0, x1, y1); input bytes [inH, inW, 3]; Pillow's output bytes [outH, outW, 3].
# Run with Pillow 9.4.0: python3 generate_resize_cases.py resize_cases.bin
import sys, struct, random
import numpy as np
from PIL import Image
rng = np.random.default_rng(7)
random.seed(7)
with open(sys.argv[1], 'wb') as out:
    for i in range(72):
        iw, ih = random.randint(1, 14), random.randint(1, 14)
        ow, oh = random.randint(1, 14), random.randint(1, 14)
        if i % 6 == 0:
            ow = iw
        if i % 6 == 1:
            oh = ih
        f = [0, 1, 2, 3, 4, 5][i % 6] if i < 36 else random.choice([2, 3, 3])
        a = rng.integers(0, 256, (ih, iw, 3), dtype=np.uint8)
        box = None
        if i % 5 == 4:
            x0 = random.uniform(0, iw / 2); y0 = random.uniform(0, ih / 2)
            box = tuple(float(np.float32(v)) for v in (x0, y0, random.uniform(x0 + 0.5, iw), random.uniform(y0 + 0.5, ih)))
        r = np.asarray(Image.fromarray(a, 'RGB').resize((ow, oh), f, box=box))
        out.write(struct.pack('<7i', iw, ih, ow, oh, f, 1 if box else 0, 0))
        out.write(struct.pack('<4f', *(box if box else (0, 0, iw, ih))))
        out.write(a.tobytes())
        out.write(r.tobytes())
