package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mix4j.api.RgbImage;

class ResamplerTest {

    @ParameterizedTest
    @EnumSource(Resample.class)
    void resizingToTheSameSizeKeepsEveryPixel(Resample filter) {
        RgbImage image = random(13, 7, 1);
        RgbImage out = Resampler.resize(image, 13, 7, filter);
        assertArrayEquals(image.pixels(), out.pixels());
    }

    @ParameterizedTest
    @EnumSource(value = Resample.class, names = "NEAREST", mode = EnumSource.Mode.EXCLUDE)
    void constantImageStaysConstantWhenHalvedOrEnlarged(Resample filter) {
        RgbImage image = ImageOps.canvas(40, 30, 200, 17, 99);
        for (int[] size : new int[][] {{20, 15}, {53, 41}, {7, 30}}) {
            RgbImage out = Resampler.resize(image, size[0], size[1], filter);
            assertArrayEquals(ImageOps.canvas(size[0], size[1], 200, 17, 99).pixels(), out.pixels(),
                    filter + " to " + size[0] + "x" + size[1]);
        }
    }

    /**
     * Halving a ramp {@code v(x) = 10x} with BILINEAR: the support doubles to 2, so output pixel i
     * (center 2i + 1) weighs source pixels 2i-1..2i+2 with 1/8, 3/8, 3/8, 1/8, giving exactly
     * {@code 10 * (2i + 0.5) = 20i + 5}. At the left edge only pixels 0..2 remain, weights
     * 3/7, 3/7, 1/7: {@code 10 * 5/7 = 7.14 -> 7}; at the right edge (pixels 2n-3..2n-1, weights
     * 1/7, 3/7, 3/7) it is {@code 10 * (2n - 1 - 5/7)}, rounded to nearest (the fixed-point sum
     * starts at one half).
     */
    @Test
    void bilinearHalvingOfARampAveragesPixelPairs() {
        int n = 10;
        byte[] px = new byte[2 * n * 3];
        for (int x = 0; x < 2 * n; x++) {
            Arrays.fill(px, 3 * x, 3 * x + 3, (byte) (10 * x));
        }
        RgbImage out = Resampler.resize(new RgbImage(2 * n, 1, px), n, 1, Resample.BILINEAR);
        assertEquals(7, out.get(0, 0, 0));
        for (int i = 1; i < n - 1; i++) {
            assertEquals(20 * i + 5, out.get(i, 0, 1), "pixel " + i);
        }
        assertEquals(Math.round(10 * (2 * n - 1 - 5.0 / 7)), out.get(n - 1, 0, 2));
    }

    @Test
    void verticalOnlyResizeKeepsEachColumnOfAHorizontalRamp() {
        byte[] px = new byte[16 * 5 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (((i / 3) % 16) * 16);
        }
        RgbImage out = Resampler.resize(new RgbImage(16, 5, px), 16, 9, Resample.BICUBIC);
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 16; x++) {
                assertEquals(16 * x, out.get(x, y, 0));
            }
        }
    }

    /** Pillow maps output pixel i to source {@code floor((i + 0.5) * scale)}. */
    @Test
    void nearestTakesThePixelUnderEachOutputCenter() {
        RgbImage image = random(6, 1, 4);
        RgbImage out = Resampler.resize(image, 3, 1, Resample.NEAREST);
        for (int i = 0; i < 3; i++) {
            assertEquals(image.get(2 * i + 1, 0, 0), out.get(i, 0, 0));
        }
    }

    @Test
    void matchesPillowOnReferenceCases() throws IOException {
        ByteBuffer b;
        try (InputStream in = getClass().getResourceAsStream("/images/resize_cases.bin")) {
            b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        }
        List<String> mismatches = new ArrayList<>();
        int cases = 0;
        while (b.hasRemaining()) {
            int iw = b.getInt(), ih = b.getInt(), ow = b.getInt(), oh = b.getInt(), code = b.getInt();
            b.getInt();
            b.getInt();
            float x0 = b.getFloat(), y0 = b.getFloat(), x1 = b.getFloat(), y1 = b.getFloat();
            byte[] in = new byte[iw * ih * 3];
            byte[] expected = new byte[ow * oh * 3];
            b.get(in).get(expected);
            RgbImage out = Resampler.resize(new RgbImage(iw, ih, in), ow, oh, Resample.fromPilCode(code), x0, y0, x1, y1);
            if (!Arrays.equals(expected, out.pixels())) {
                mismatches.add(iw + "x" + ih + "->" + ow + "x" + oh + " " + Resample.fromPilCode(code));
            }
            cases++;
        }
        assertEquals(72, cases);
        assertEquals(List.of(), mismatches);
    }

    @Test
    void rejectsEmptyTargetsAndBoxesOutsideTheImage() {
        RgbImage image = random(4, 4, 2);
        assertThrows(IllegalArgumentException.class, () -> Resampler.resize(image, 0, 3, Resample.BICUBIC));
        assertThrows(IllegalArgumentException.class,
                () -> Resampler.resize(image, 2, 2, Resample.BICUBIC, 0, 0, 5, 4));
    }

    @Test
    void unknownPilCodeListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Resample.fromPilCode(9));
        assertEquals(true, e.getMessage().contains("3 (bicubic)"), e.getMessage());
        assertEquals(Resample.LANCZOS, Resample.parse("antialias"));
        assertEquals(Resample.BILINEAR, Resample.parse(2L));
    }

    static RgbImage random(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(w, h, px);
    }
}
