package org.mix4j.plugins.pixelshuffle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.ConfigException;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.CheckpointException;

/**
 * The connector's token order against InternVL's, written out by hand, and its sizes, config and
 * errors. The plugin's classes are on the test classpath, so its type is registered here under its
 * bare name {@code pixel_shuffle}.
 */
class PixelShuffleConnectorTest {

    private static MixRuntime runtime;
    private static NDManager manager;

    @TempDir
    static Path dir;

    private static Path fixture;

    @BeforeAll
    static void start() throws IOException {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
        fixture = PixelShuffleFixture.write(dir.resolve("fixture"));
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    private static PixelShuffleConnector connector(int dv, String psVersion, double ratio) {
        Map<String, Object> yaml = new HashMap<>(Map.of("vision_hidden_size", dv, "llm_hidden_size", 3,
                "ps_version", psVersion, "downsample_ratio", ratio, "init", "random"));
        return (PixelShuffleConnector) runtime.loader().load("pixel_shuffle", Role.CONNECTOR, null, yaml, manager,
                DataType.FLOAT32);
    }

    /** {@code [1, rows, cols, 1]} holding the row-major patch index, or {@code [.., 2]} with index + 100. */
    private static NDArray indexGrid(int rows, int cols, boolean twoChannels) {
        float[] v = new float[rows * cols * (twoChannels ? 2 : 1)];
        for (int p = 0, i = 0; p < rows * cols; p++) {
            v[i++] = p;
            if (twoChannels) {
                v[i++] = 100 + p;
            }
        }
        return manager.create(v, new Shape(1, rows, cols, twoChannels ? 2 : 1));
    }

    @Test
    void shuffleFoldsEachTwoByTwoBlockWithAllItsChannelsInRowMajorOrder() {
        try (PixelShuffleConnector c = connector(2, "v2", 0.5)) {
            NDArray out = c.pixelShuffle(indexGrid(4, 4, true));
            assertEquals(new Shape(1, 2, 2, 8), out.getShape());
            // token (0,0): patches 0, 1 (upper row), 4, 5 (lower row), each with both channels
            float[] expected = {
                0, 100, 1, 101, 4, 104, 5, 105,
                2, 102, 3, 103, 6, 106, 7, 107,
                8, 108, 9, 109, 12, 112, 13, 113,
                10, 110, 11, 111, 14, 114, 15, 115};
            assertArrayEquals(expected, out.toFloatArray());
        }
    }

    @Test
    void psVersionOneLeavesTheTokenGridTransposed() {
        // 4x6 grid, patch index p = 6 * row + col; 2x2 blocks -> a 2x3 grid of shuffled tokens
        float[] v2 = {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, 12, 13, 18, 19, 14, 15, 20, 21, 16, 17, 22, 23};
        float[] v1 = {0, 1, 6, 7, 12, 13, 18, 19, 2, 3, 8, 9, 14, 15, 20, 21, 4, 5, 10, 11, 16, 17, 22, 23};
        TokenGrid grid = new TokenGrid(4, 6, 0);
        try (PixelShuffleConnector c = connector(1, "v2", 0.5)) {
            assertArrayEquals(v2, c.pixelShuffle(indexGrid(4, 6, false)).toFloatArray());
            assertEquals(new TokenGrid(2, 3, 0), c.outputGrid(grid));
        }
        try (PixelShuffleConnector c = connector(1, "v1", 0.5)) {
            assertArrayEquals(v1, c.pixelShuffle(indexGrid(4, 6, false)).toFloatArray());
            assertEquals(new TokenGrid(3, 2, 0), c.outputGrid(grid));
        }
    }

    @Test
    void outputTokensShrinkByTheSquareOfTheRatio() {
        try (PixelShuffleConnector c = connector(4, "v2", 0.5)) {
            assertEquals(256, c.outputTokens(new TokenGrid(32, 32, 1))); // InternVL: 448 px / 14 -> 32x32 -> 256
            assertEquals(6, c.outputTokens(new TokenGrid(4, 6, 0)));
            assertEquals(3, c.outputSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> c.outputTokens(new TokenGrid(5, 4, 0)));
            assertTrue(e.getMessage().contains("needs a token grid divisible by 2, got 5x4"), e.getMessage());
        }
        try (PixelShuffleConnector c = connector(1, "v2", 0.25)) {
            assertEquals(4, c.outputTokens(new TokenGrid(8, 8, 0)));
            assertEquals(new Shape(1, 2, 2, 16), c.pixelShuffle(indexGrid(8, 8, false)).getShape());
        }
    }

    @Test
    void projectDropsClsAndReturnsTheDeclaredTokenCount() {
        try (PixelShuffleConnector c = connector(2, "v2", 0.5); NDManager scope = manager.newSubManager()) {
            NDArray features = scope.randomNormal(new Shape(3, 17, 2));
            NDArray out = c.project(features, null, new TokenGrid(4, 4, 1));
            assertEquals(new Shape(3, 4, 3), out.getShape());
            assertEquals(scope, out.getManager());
            // CLS does not matter: change it and nothing moves
            NDArray otherCls = features.duplicate();
            otherCls.set(new ai.djl.ndarray.index.NDIndex(":, 0, :"), 1000f);
            assertArrayEquals(out.toFloatArray(), c.project(otherCls, null, new TokenGrid(4, 4, 1)).toFloatArray());
        }
    }

    @Test
    void repeatedProjectionsLeaveNoArraysBehind() {
        try (NDManager parent = manager.newSubManager()) {
            try (PixelShuffleConnector c = connector(2, "v2", 0.5)) {
                NDArray x = parent.randomNormal(new Shape(2, 17, 2));
                c.project(x, null, new TokenGrid(4, 4, 1)).close();
                int before = parent.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    c.project(x, null, new TokenGrid(4, 4, 1)).close();
                }
                assertEquals(before, parent.getManagedArrays().size());
                assertEquals(parent, x.getManager());
            }
        }
    }

    @Test
    void prefixTokensWithDropClsOffAreRejected() {
        Map<String, Object> yaml = Map.of("vision_hidden_size", 2, "llm_hidden_size", 3, "drop_cls", false,
                "init", "random");
        try (Connector c = runtime.loader().load("pixel_shuffle", Role.CONNECTOR, null, yaml, manager, DataType.FLOAT32);
                NDManager scope = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> c.project(scope.zeros(new Shape(1, 17, 2)), null, new TokenGrid(4, 4, 1)));
            assertTrue(e.getMessage().contains("drop_cls is false"), e.getMessage());
            assertEquals(new Shape(1, 4, 3), c.project(scope.zeros(new Shape(1, 16, 2)), null,
                    new TokenGrid(4, 4, 0)).getShape());
        }
    }

    @Test
    void sizesComeFromTheInternVlConfig() {
        try (Connector c = runtime.loader().load("pixel_shuffle", Role.CONNECTOR, fixture, Map.of(), manager,
                DataType.FLOAT32)) {
            assertEquals(PixelShuffleFixture.DLLM, c.outputSize());
            assertEquals(4, c.outputTokens(new TokenGrid(4, 4, 1)));
        }
    }

    @Test
    void ratioThatIsNotOneOverAnIntegerIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class, () -> connector(2, "v2", 0.3));
        assertTrue(e.getMessage().contains("downsample_ratio must be 1/k for an integer k"), e.getMessage());
    }

    @Test
    void ratioThatDisagreesWithTheCheckpointNamesTheTensor() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> runtime.loader().load("pixel_shuffle",
                Role.CONNECTOR, fixture, Map.of("downsample_ratio", 0.25), manager, DataType.FLOAT32));
        assertTrue(e.getMessage().contains("mlp1.0.weight"), e.getMessage());
    }
}
