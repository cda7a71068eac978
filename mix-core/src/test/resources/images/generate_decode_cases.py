# Writes the decode test files and, for each, FILE.rgb = int32 LE width, height, then
# numpy.asarray(PIL.Image.open(FILE).convert("RGB")) bytes. Run with Pillow 9.4.0, numpy 1.24:
#   python3 generate_decode_cases.py decode
# ycck.jpg and adobe_cmyk.jpg (4-component JPEGs with an Adobe APP14 transform 2 / 0) were
# written with the JDK JPEG writer from a raw 4-band raster; their .rgb is PIL's decoding too.
import numpy as np, zlib, struct, os, io
from PIL import Image
rng = np.random.default_rng(1)
import sys
D=sys.argv[1]; os.makedirs(D, exist_ok=True)
def png_raw(path, arr, color_type, bit_depth, trns=None, plte=None, width=None):
    h, w = arr.shape[:2]
    w = width or w
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t+d) & 0xffffffff)
    if bit_depth == 16:
        raw = b''.join(b'\x00' + arr[y].astype('>u2').tobytes() for y in range(h))
    else:
        raw = b''.join(b'\x00' + arr[y].astype(np.uint8).tobytes() for y in range(h))
    data = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, bit_depth, color_type, 0, 0, 0))
    if plte is not None: data += chunk(b'PLTE', plte)
    if trns is not None: data += chunk(b'tRNS', trns)
    data += chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
    open(path, 'wb').write(data)
W,H=23,17
rgb = rng.integers(0,256,(H,W,3),dtype=np.uint8)
rgba = rng.integers(0,256,(H,W,4),dtype=np.uint8)
gray = rng.integers(0,256,(H,W),dtype=np.uint8)
Image.fromarray(rgb,'RGB').save(f'{D}/rgb.png')
Image.fromarray(gray,'L').save(f'{D}/gray.png')
Image.fromarray(rgba,'RGBA').save(f'{D}/rgba.png')
Image.fromarray(rgba[...,:2].copy(),'LA').save(f'{D}/la.png')
pal = rng.integers(0,256,(256,3),dtype=np.uint8)
p = Image.fromarray(rng.integers(0,256,(H,W),dtype=np.uint8),'P'); p.putpalette(pal.tobytes()); p.save(f'{D}/p8.png')
p.save(f'{D}/p8_trns.png', transparency=5)
# 4-bit palette with 16 entries, 1-bit gray, 2-bit gray, 4 bit gray via bits option
p4 = Image.fromarray(rng.integers(0,16,(H,W),dtype=np.uint8),'P'); p4.putpalette(pal[:16].tobytes()); p4.save(f'{D}/p4.png', bits=4)
Image.fromarray(gray).convert('1').save(f'{D}/bw1.png')
# 16-bit variants, handcrafted
g16 = rng.integers(0,65536,(H,W),dtype=np.uint16); g16[:3] = rng.integers(0,300,(3,W))
png_raw(f'{D}/gray16.png', g16, 0, 16)
png_raw(f'{D}/gray16_trns.png', g16, 0, 16, trns=struct.pack('>H', 7))
png_raw(f'{D}/rgb16.png', rng.integers(0,65536,(H,W,3),dtype=np.uint16), 2, 16)
png_raw(f'{D}/rgba16.png', rng.integers(0,65536,(H,W,4),dtype=np.uint16), 6, 16)
png_raw(f'{D}/la16.png', rng.integers(0,65536,(H,W,2),dtype=np.uint16), 4, 16)
png_raw(f'{D}/rgb_trns.png', rgb, 2, 8, trns=struct.pack('>HHH', 1,2,3))
png_raw(f'{D}/gray_trns.png', gray, 0, 8, trns=struct.pack('>H', 9))
# 2-bit gray packed
g2 = rng.integers(0,4,(H,W),dtype=np.uint8)
packed = np.zeros((H,(W*2+7)//8),dtype=np.uint8)
for x in range(W): packed[:, x//4] |= (g2[:,x] << (6-2*(x%4))).astype(np.uint8)
png_raw(f'{D}/gray2.png', packed, 0, 2, width=W)
# short palette (8 entries) with index beyond it
idx = rng.integers(0,12,(H,W),dtype=np.uint8)
png_raw(f'{D}/pshort.png', idx, 3, 8, plte=pal[:8].tobytes())
# JPEG
smooth = np.clip(np.stack(np.mgrid[0:24,0:32],-1).sum(-1)[...,None]*[6,4,2],0,255).astype(np.uint8)
Image.fromarray(smooth,'RGB').save(f'{D}/rgb.jpg', quality=90)
Image.fromarray(smooth,'RGB').save(f'{D}/rgb_444.jpg', quality=95, subsampling=0)
Image.fromarray(smooth,'RGB').save(f'{D}/rgb_422.jpg', quality=85, subsampling=1)
Image.fromarray(smooth[...,0].copy(),'L').save(f'{D}/gray.jpg')
Image.fromarray(smooth,'RGB').convert('CMYK').save(f'{D}/cmyk.jpg')
cm = rng.integers(0,256,(16,16,4),dtype=np.uint8)
Image.fromarray(cm,'CMYK').save(f'{D}/cmyk_noise.jpg', quality=100)
# BMP
Image.fromarray(rgb,'RGB').save(f'{D}/rgb.bmp')
p.save(f'{D}/p8.bmp')
Image.fromarray(gray,'L').save(f'{D}/gray.bmp')
Image.fromarray(gray).convert('1').save(f'{D}/bw1.bmp')
Image.fromarray(rgba,'RGBA').save(f'{D}/rgba.bmp')
# GIF
p.save(f'{D}/p8.gif')
p.save(f'{D}/p8_trns.gif', transparency=3)
Image.fromarray(gray,'L').save(f'{D}/gray.gif')
Image.fromarray(rgb,'RGB').save(f'{D}/rgb.gif')
for f in sorted(os.listdir(D)):
    if f.endswith('.rgb'): continue
    im = Image.open(f'{D}/{f}')
    a = np.asarray(im.convert('RGB'))
    open(f'{D}/{f}.rgb','wb').write(struct.pack('<ii', a.shape[1], a.shape[0]) + a.tobytes())
    print(f, im.mode, im.size, os.path.getsize(f'{D}/{f}'))
