package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mix4j.MixRuntime;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.Tiler;
import org.mix4j.registry.MixSettings;

/**
 * The anyres tiler and the image processor together against {@code pixel_values} of transformers 4.47's
 * LlavaNextImageProcessor, transcribed in {@code anyres_reference/make_reference.py}: crop 30, pinpoints
 * 1x3, 3x1 and 2x3, images with odd padding margins, narrower than a tile, and a tie between grids.
 */
class AnyResReferenceTest {

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    /** The script's test pattern: channel c of pixel (x, y) is {@code (37x + 11y + 71c + (xy mod 17)) mod 256}. */
    static RgbImage pattern(int width, int height) {
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    px[(y * width + x) * 3 + c] = (byte) ((x * 37 + y * 11 + c * 71 + (x * y) % 17) % 256);
                }
            }
        }
        return new RgbImage(width, height, px);
    }

    @ParameterizedTest
    @CsvSource({"wide_200x15, 200, 15, 4", "narrow_7x20, 7, 20, 4", "grid_47x50, 47, 50, 7"})
    void matchesTheReferencePixelValues(String name, int width, int height, int patches)
            throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/anyres_reference/config.json").toURI()).getParent();
        Tiler tiler = runtime.loader().load("anyres", Role.TILER, dir, Map.of("newline", false), manager,
                DataType.FLOAT32);
        ImageProcessor processor = runtime.loader().load("hf_image_processor", Role.IMAGE_PROCESSOR, dir, Map.of(),
                manager, DataType.FLOAT32);
        List<RgbImage> tiles = tiler.split(pattern(width, height));
        NDArray actual = processor.preprocess(tiles, manager); // [patches, 3, 30, 30]
        assertArrayEquals(new long[] {patches, 3, 30, 30}, actual.getShape().getShape());
        float[] want = new float[patches * 3 * 30 * 30];
        ByteBuffer.wrap(Files.readAllBytes(dir.resolve(name + ".f32"))).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                .get(want);
        float[] got = actual.toFloatArray();
        float maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
        }
        assertTrue(maxErr <= 1e-5, name + ": max error " + maxErr);
    }
}
