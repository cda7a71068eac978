package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.api.TokenGrid;

class FeaturePackingTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /**
     * Features of a base tile and a 1x3 grid of 2x2-token tiles, D = 2: channel 0 holds the tile
     * index, channel 1 the token index within the tile, so every packed token says where it came from.
     */
    private NDArray tiles(int count, int tokens) {
        float[] v = new float[count * tokens * 2];
        for (int t = 0; t < count; t++) {
            for (int k = 0; k < tokens; k++) {
                v[(t * tokens + k) * 2] = t;
                v[(t * tokens + k) * 2 + 1] = k;
            }
        }
        return manager.create(v, new Shape(count, tokens, 2));
    }

    @Test
    void stitchesGridRowMajorUnpadsAndAppendsNewlines() {
        NDArray features = tiles(4, 4);
        NDArray newline = manager.create(new float[] {-1, -1});
        // 40x90 image in a 1x3 grid of 2x2 tiles: map 2x6, width 90 * 2/40 = 4.5 -> 4, pad 1 each side
        NDArray packed = FeaturePacking.packAnyRes(features, 1, 3, new TokenGrid(2, 2, 0), 40, 90, newline, 0);
        // base 4 tokens, then 2 rows of (4 kept columns + newline)
        assertEquals(new Shape(4 + 2 * 5, 2), packed.getShape());
        assertEquals(14, FeaturePacking.packedTokens(1, 3, new TokenGrid(2, 2, 0), 40, 90, true, 0));
        float[] v = packed.toFloatArray();
        // base tile 0 tokens 0..3
        assertArrayEquals(new float[] {0, 0, 0, 1, 0, 2, 0, 3}, java.util.Arrays.copyOfRange(v, 0, 8));
        // row 0 of the stitched map: columns 1..4 = tile1 token1, tile2 token0, tile2 token1, tile3 token0, newline
        assertArrayEquals(new float[] {1, 1, 2, 0, 2, 1, 3, 0, -1, -1}, java.util.Arrays.copyOfRange(v, 8, 18));
        // row 1: tile1 token3, tile2 token2, tile2 token3, tile3 token2, newline
        assertArrayEquals(new float[] {1, 3, 2, 2, 2, 3, 3, 2, -1, -1}, java.util.Arrays.copyOfRange(v, 18, 28));
    }

    @Test
    void baseOnlyImageGetsOneNewline() {
        NDArray packed = FeaturePacking.packAnyRes(tiles(1, 4), 0, 0, new TokenGrid(2, 2, 0), 10, 10,
                manager.create(new float[] {-1, -1}), 0);
        assertEquals(new Shape(5, 2), packed.getShape());
    }

    @Test
    void rejectsFeaturesWithClsOrWrongTileCount() {
        assertThrows(IllegalArgumentException.class, () -> FeaturePacking.packAnyRes(tiles(4, 5), 1, 3,
                new TokenGrid(2, 2, 1), 40, 90, null, 0));
        assertThrows(IllegalArgumentException.class, () -> FeaturePacking.packAnyRes(tiles(3, 4), 1, 3,
                new TokenGrid(2, 2, 0), 40, 90, null, 0));
    }

    @Test
    void bilinearMatchesHalfPixelSampling() {
        // 1x1x4 row [0, 1, 2, 3] to width 2: centres at src 0.5 and 2.5 -> 0.5 and 2.5
        NDArray x = manager.create(new float[] {0, 1, 2, 3}, new Shape(1, 1, 4));
        assertArrayEquals(new float[] {0.5f, 2.5f}, FeaturePacking.bilinear(x, 1, 2).toFloatArray(), 1e-6f);
        // upsampling 2 -> 4: src = -0.25 (clamped 0), 0.25, 0.75, 1.25 -> 0, 0.25, 0.75, 1 (edge clamps)
        NDArray y = manager.create(new float[] {0, 1}, new Shape(1, 1, 2));
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, FeaturePacking.bilinear(y, 1, 4).toFloatArray(), 1e-6f);
    }
}
