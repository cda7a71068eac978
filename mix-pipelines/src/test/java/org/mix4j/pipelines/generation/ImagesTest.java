package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;

class ImagesTest {

    @Test
    void roundsHalvesToEvenAsNumpyDoes() {
        float twoAndAHalf = firstFloatScalingTo(2.5f);
        float threeAndAHalf = firstFloatScalingTo(3.5f);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray image = m.create(new float[] {0f, 1f, twoAndAHalf, threeAndAHalf, 0.5f, 0.25f}, new Shape(1, 1, 2, 3));
            byte[] px = Images.toRgb(image).get(0).pixels();
            assertArrayEquals(new int[] {0, 255, 2, 4, 128, 64}, unsigned(px));
        }
    }

    @Test
    void postprocessMapsMinusOneToOneOntoZeroToOneAndClamps() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray decoded = m.create(new float[] {-1.5f, -1f, 0f, 1f, 2f, 0.5f}, new Shape(1, 3, 1, 2));
            NDArray image = Images.postprocess(decoded);
            assertEquals(new Shape(1, 1, 2, 3), image.getShape());
            // NHWC: pixel 0 takes channel values -1.5, 0, 2 ; pixel 1 takes -1, 1, 0.5
            assertArrayEquals(new float[] {0f, 0.5f, 1f, 0f, 1f, 0.75f}, image.toFloatArray());
        }
    }

    @Test
    void pixelValuesAreTwoXMinusOneOfXOver255InChannelsFirstOrder() {
        RgbImage image = new RgbImage(2, 1, new byte[] {0, (byte) 255, 51, 102, (byte) 204, 0});
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = Images.pixelValues(image, m);
            assertEquals(new Shape(1, 3, 1, 2), x.getShape());
            assertArrayEquals(new float[] {-1f, 2f * (102f / 255f) - 1f, 1f, 2f * (204f / 255f) - 1f,
                    2f * (51f / 255f) - 1f, -1f}, x.toFloatArray());
        }
    }

    @Test
    void pngRoundTripKeepsEveryPixel(@TempDir Path dir) {
        byte[] px = new byte[5 * 3 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37);
        }
        RgbImage image = new RgbImage(5, 3, px);
        Path file = dir.resolve("sub/out.png");
        Images.writePng(image, file);
        RgbImage back = ImageDecoder.readRgb(file);
        assertEquals(5, back.width());
        assertEquals(3, back.height());
        assertArrayEquals(px, back.pixels());
    }

    @Test
    void severalImagesGetNumberedFiles(@TempDir Path dir) {
        assertEquals(List.of(dir.resolve("a.png")), GenerationTaskRunner.outputFiles(dir.resolve("a.png"), 1, i -> 9));
        assertEquals(List.of(dir.resolve("a-0.jpg"), dir.resolve("a-1.jpg")),
                GenerationTaskRunner.outputFiles(dir.resolve("a.jpg"), 2, i -> 9));
    }

    /** A float x with {@code x * 255f == target} exactly. */
    private static float firstFloatScalingTo(float target) {
        float x = target / 255f;
        for (int i = 0; i < 64 && x * 255f != target; i++) {
            x = x * 255f < target ? Math.nextUp(x) : Math.nextDown(x);
        }
        assertEquals(target, x * 255f, "no float scales exactly to " + target);
        return x;
    }

    private static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xff;
        }
        return out;
    }
}
