package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageOps;
import org.mix4j.image.Resample;

/** How {@link AnyResTiler#split} cuts an image, against transformers 4.47's {@code get_image_patches}. */
class AnyResTilerTest {

    static AnyResTiler tiler(int tile, List<List<Integer>> pinpoints) {
        return new AnyResTiler(new AnyResTilerConfig(pinpoints, tile, 0, false, "image_newline", Resample.BICUBIC));
    }

    @ParameterizedTest
    @ValueSource(ints = {224, 336})
    void cutsATwoByThreeGridRowMajor(int tile) {
        // a 3t x 2t image of six solid blocks fits the (2t, 3t) pinpoint exactly: no resize, no padding
        RgbImage image = ImageOps.canvas(3 * tile, 2 * tile, 0, 0, 0);
        for (int block = 0; block < 6; block++) {
            RgbImage solid = ImageOps.canvas(tile, tile, 10 * block + 5, 0, 0);
            image = ImageOps.paste(image, solid, (block % 3) * tile, (block / 3) * tile);
        }
        List<RgbImage> tiles = tiler(tile, List.of(List.of(2 * tile, 3 * tile))).split(image);
        assertEquals(7, tiles.size()); // base image + 2 x 3
        for (int block = 0; block < 6; block++) {
            RgbImage t = tiles.get(block + 1);
            assertEquals(tile, t.width());
            assertEquals(tile, t.height());
            assertEquals(10 * block + 5, t.get(0, 0, 0), "tile " + block);
            assertEquals(10 * block + 5, t.get(tile - 1, tile - 1, 0), "tile " + block);
        }
    }

    @Test
    void anOddMarginLeavesTheLastColumnOfTilesOnePixelNarrow() {
        // 12 x 10 (w x h) white into the (7, 14) pinpoint: fitted 9 x 7, padded 2 | 9 | 2 = 13 wide,
        // divide_to_patches gives a 7-wide and a 6-wide tile
        RgbImage white = ImageOps.canvas(12, 10, 255, 255, 255);
        List<RgbImage> tiles = tiler(7, List.of(List.of(7, 14))).split(white);
        assertEquals(3, tiles.size());
        assertArrayEquals(new int[] {7, 7}, new int[] {tiles.get(0).width(), tiles.get(0).height()});
        assertArrayEquals(new int[] {7, 7}, new int[] {tiles.get(1).width(), tiles.get(1).height()});
        assertArrayEquals(new int[] {6, 7}, new int[] {tiles.get(2).width(), tiles.get(2).height()});
        assertArrayEquals(new int[] {0, 0, 255, 255, 255, 255, 255}, row(tiles.get(1), 3));
        assertArrayEquals(new int[] {255, 255, 255, 255, 0, 0}, row(tiles.get(2), 3));
    }

    @Test
    void anExtremelyWideImageGetsOnePixelShortTiles() {
        // 2000 x 13 with LLaVA-1.6 pinpoints: (336, 1008), fitted 1008 x 7, padded 164 + 7 + 164 = 335 rows
        List<List<Integer>> llava16 = List.of(List.of(336, 672), List.of(672, 336), List.of(672, 672),
                List.of(1008, 336), List.of(336, 1008));
        List<RgbImage> tiles = tiler(336, llava16).split(ImageOps.canvas(2000, 13, 200, 200, 200));
        assertEquals(4, tiles.size());
        assertEquals(336, tiles.get(0).height());
        for (int i = 1; i < 4; i++) {
            assertEquals(336, tiles.get(i).width());
            assertEquals(335, tiles.get(i).height());
            assertEquals(0, tiles.get(i).get(0, 163, 0));
            assertEquals(200, tiles.get(i).get(0, 164, 0));
            assertEquals(200, tiles.get(i).get(0, 170, 0));
            assertEquals(0, tiles.get(i).get(0, 171, 0));
        }
    }

    static int[] row(RgbImage image, int y) {
        int[] out = new int[image.width()];
        for (int x = 0; x < out.length; x++) {
            out[x] = image.get(x, y, 0);
        }
        return out;
    }
}
