package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.config.ConfigException;
import org.mix4j.golden.GoldenCase;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.Checkpoint;

class TilerTest {

    private static MixRuntime runtime;
    private static NDManager manager;
    private static final Path NEXT = Path.of(System.getProperty("mix.golden.dir"), "llava_next_tiling");

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

    private static RgbImage image(NDArray hwc) {
        long[] s = hwc.getShape().getShape();
        return new RgbImage((int) s[1], (int) s[0], hwc.toByteArray());
    }

    @Test
    void anyresSplitAndProcessorReproduceTheLlavaNextFixture() {
        GoldenCase c = new GoldenCase(NEXT, "llava_next_tiling");
        Tiler tiler = runtime.loader().load("anyres", Role.TILER, NEXT, Map.of(), manager, DataType.FLOAT32);
        ImageProcessor processor = runtime.loader().load("hf_image_processor", Role.IMAGE_PROCESSOR, NEXT, Map.of(),
                manager, DataType.FLOAT32);
        NDArray expected = c.tensor("pixel_values_all", manager); // [images, maxPatches, 3, 32, 32]
        NDArray sizes = c.tensor("image_sizes_all", manager);
        for (int i = 0; i < expected.getShape().get(0); i++) {
            RgbImage img = image(c.tensor("image_" + i, manager));
            assertArrayEquals(new long[] {img.height(), img.width()}, sizes.get(i).toLongArray());
            List<RgbImage> tiles = tiler.split(img);
            TileLayout layout = tiler.plan(img.width(), img.height());
            assertEquals(layout.tileCount(), tiles.size());
            NDArray actual = processor.preprocess(tiles, manager);
            NDArray want = expected.get(i).get(new NDIndex("0:{}", tiles.size()));
            float maxErr = actual.sub(want).abs().max().getFloat();
            assertTrue(maxErr <= 1e-5, "image " + i + ": max error " + maxErr);
            if (tiles.size() < expected.getShape().get(1)) {
                assertEquals(0f, expected.get(i).get(new NDIndex("{}:", tiles.size())).abs().max().getFloat());
            }
        }
    }

    @Test
    void anyresTokenCountMatchesTheFixture() {
        GoldenCase c = new GoldenCase(NEXT, "llava_next_tiling");
        Tiler tiler = runtime.loader().load("anyres", Role.TILER, NEXT, Map.of(), manager, DataType.FLOAT32);
        int index = c.json().get("model_image_index").getAsInt();
        RgbImage img = image(c.tensor("image_" + index, manager));
        TileLayout layout = tiler.plan(img.width(), img.height());
        assertEquals(c.json().get("num_patches_model_image").getAsInt(), layout.tileCount());
        var best = c.json().getAsJsonArray("best_resolution_per_image").get(index).getAsJsonArray();
        assertEquals(best.get(0).getAsInt() / 32, layout.gridRows());
        assertEquals(best.get(1).getAsInt() / 32, layout.gridCols());
        // vision tower: image 32, patch 8 -> 4x4 tokens per tile
        assertEquals(c.json().get("num_image_tokens").getAsInt(),
                tiler.mergedTokens(layout, new org.mix4j.api.TokenGrid(4, 4, 0)));
    }

    @Test
    void dynamicSplitsRowMajorAndAppendsAThumbnail() {
        Tiler tiler = runtime.loader().load("dynamic", Role.TILER, null,
                Map.of("tile_size", 4, "max_tiles", 6), manager, DataType.FLOAT32);
        // 12x8 image: aspect 1.5 -> (3,2) grid of 4x4 tiles, exact resize (no change), + thumbnail
        byte[] px = new byte[12 * 8 * 3];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 12; x++) {
                px[(y * 12 + x) * 3] = (byte) (x / 4 + 3 * (y / 4)); // tile index in the red channel
            }
        }
        List<RgbImage> tiles = tiler.split(new RgbImage(12, 8, px));
        assertEquals(7, tiles.size());
        for (int t = 0; t < 6; t++) {
            assertEquals(t, tiles.get(t).get(0, 0, 0), "tile " + t);
            assertEquals(4, tiles.get(t).width());
        }
        assertEquals(4, tiles.get(6).width());
        TileLayout single = tiler.plan(4, 4);
        assertEquals(1, single.tileCount());
    }

    @Test
    void badTilerSettingsAreConfigErrors() {
        ConfigException e = assertThrows(ConfigException.class, () -> runtime.loader().load("anyres", Role.TILER, null,
                Map.of("grid_pinpoints", List.of(List.of(30, 64)), "tile_size", 32), manager, DataType.FLOAT32));
        assertTrue(e.getMessage().contains("multiples of tile_size 32"), e.getMessage());
        ConfigException d = assertThrows(ConfigException.class, () -> runtime.loader().load("dynamic", Role.TILER, null,
                Map.of("min_tiles", 4, "max_tiles", 2), manager, DataType.FLOAT32));
        assertTrue(d.getMessage().contains("min_tiles"), d.getMessage());
    }

    @Test
    void anyresOwnsTheCheckpointsNewline() {
        Tiler tiler = runtime.loader().load("anyres", Role.TILER, NEXT, Map.of(), manager, DataType.FLOAT32);
        NDArray newline = tiler.newline().orElseThrow();
        try (Checkpoint c = Checkpoint.open(NEXT)) {
            NDArray stored = c.weights(manager, DataType.FLOAT32).get("image_newline");
            assertArrayEquals(stored.toFloatArray(), newline.toFloatArray());
        }
        assertEquals(1, newline.getShape().dimension());
        Tiler without = runtime.loader().load("anyres", Role.TILER, NEXT, Map.of("newline", false), manager,
                DataType.FLOAT32);
        assertTrue(without.newline().isEmpty());
        assertTrue(new NoTiler().newline().isEmpty());
    }

    @Test
    void anyresNewlineNeedsItsTensor() {
        ConfigException missing = assertThrows(ConfigException.class, () -> runtime.loader().load("anyres", Role.TILER,
                NEXT, Map.of("newline_tensor", "row_separator"), manager, DataType.FLOAT32));
        assertTrue(missing.getMessage().contains("'row_separator'"), missing.getMessage());
        ConfigException noCheckpoint = assertThrows(ConfigException.class, () -> runtime.loader().load("anyres",
                Role.TILER, null, Map.of("grid_pinpoints", List.of(List.of(32, 64)), "tile_size", 32), manager,
                DataType.FLOAT32));
        assertTrue(noCheckpoint.getMessage().contains("newline: false"), noCheckpoint.getMessage());
    }
}
