package org.mix4j.diffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VaeTilingTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void tilingAnIdentityMapGivesBackTheInput() {
        // blending two equal overlaps is a no-op, so any error is in the tile geometry (crop, order, concat)
        NDArray x = manager.randomNormal(new Shape(2, 3, 13, 17));
        NDArray tiled = VaeTiling.run(x, 8, 8, 0.25, t -> t.mul(1f)); // stride 6 = crop 8 - blend 2
        assertEquals(x.getShape(), tiled.getShape());
        assertTrue(maxAbsDiff(x, tiled) < 1e-6, "max diff " + maxAbsDiff(x, tiled));
    }

    @Test
    void tilingAnUpsamplerGivesTheUpsampledInput() {
        NDArray x = manager.randomNormal(new Shape(1, 2, 9, 11));
        NDArray tiled = VaeTiling.run(x, 4, 8, 0.25, t -> t.repeat(2, 2).repeat(3, 2)); // stride 3 -> 6 = 8 - 2
        NDArray whole = x.repeat(2, 2).repeat(3, 2);
        assertEquals(whole.getShape(), tiled.getShape());
        assertTrue(maxAbsDiff(whole, tiled) < 1e-6, "max diff " + maxAbsDiff(whole, tiled));
    }

    @Test
    void blendFadesLinearlyFromTheUpperTileIntoTheLowerOne() {
        NDArray upper = manager.ones(new Shape(1, 1, 6, 2));
        NDArray lower = manager.zeros(new Shape(1, 1, 5, 2));
        NDArray blended = VaeTiling.blend(upper, lower, 4, 2);
        // diffusers blend_v: b[y] = a[-e + y] * (1 - y / e) + b[y] * (y / e) for y < e
        float[] column = blended.get(":, :, :, 0").flatten().toFloatArray();
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f, 0f}, column);
    }

    @Test
    void blendExtentIsLimitedByTheSmallerTile() {
        NDArray left = manager.ones(new Shape(1, 1, 2, 8));
        NDArray right = manager.zeros(new Shape(1, 1, 2, 2));
        float[] row = VaeTiling.blend(left, right, 4, 3).get("0, 0, 0, :").toFloatArray();
        assertArrayEquals(new float[] {1f, 0.5f}, row);
    }
}
