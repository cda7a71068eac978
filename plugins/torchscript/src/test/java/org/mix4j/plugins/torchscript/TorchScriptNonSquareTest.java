package org.mix4j.plugins.torchscript;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Connector;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.VisionEncoder;
import org.mix4j.config.ConfigException;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.golden.OutputResult;
import org.mix4j.registry.MixSettings;

/**
 * {@code golden/torchscript_nonsquare} (written once by {@code golden/make_torchscript_nonsquare.py},
 * torch 1.13): an encoder traced at height 24, width 40 with a CLS token, batch 3, and a projector,
 * with torch's outputs. Loaded through the plugin jar as {@code torchscript:encoder} /
 * {@code torchscript:connector}; outputs agree within {@link #ATOL} + {@link #RTOL} * |expected|.
 */
class TorchScriptNonSquareTest {

    static final Path FIXTURE = Path.of("golden", "torchscript_nonsquare").toAbsolutePath();
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-4;

    @TempDir
    static Path dir;

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() throws IOException {
        runtime = MixRuntime.start(MixSettings.withPlugins(MixProcess.installed(dir)));
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    private static Map<String, Object> keys() {
        return new HashMap<>(Map.of("file", "encoder.pt", "height", 24, "width", 40, "patch_size", 8,
                "hidden_size", 32, "prefix_tokens", 1));
    }

    private static VisionEncoder encoder(Map<String, Object> keys) {
        return runtime.loader().load("torchscript:encoder", Role.VISION_ENCODER, FIXTURE, keys, manager, DataType.FLOAT32);
    }

    private static NDArray tensor(String name, NDManager m) {
        return new GoldenCase(FIXTURE, "torchscript_nonsquare").tensor(name, m);
    }

    private static void assertClose(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs(e[i] - a[i]);
            assertTrue(err <= ATOL + RTOL * Math.abs(e[i]), "element " + i + ": " + a[i] + " vs torch " + e[i]);
            worst = Math.max(worst, err);
        }
        assertTrue(worst < ATOL, "max abs error " + worst);
    }

    @Test
    void fixturePassesThroughThePluginRunner() {
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(List.of(FIXTURE));
        assertEquals(1, cases.size());
        CaseResult r = verifier.run(cases.get(0), manager);
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        assertEquals(List.of("encoder_output", "connector_output", "pipeline_output"),
                r.outputs().stream().map(OutputResult::name).toList());
        for (OutputResult o : r.outputs()) {
            assertTrue(o.compared() > 0 && o.maxAbsError() < ATOL, o.toString());
        }
    }

    @Test
    void encoderTakesBatchThreeAt24x40AndMatchesTorch() {
        try (VisionEncoder e = encoder(keys()); NDManager scope = manager.newSubManager()) {
            TokenGrid grid = new TokenGrid(3, 5, 1);
            assertEquals(grid, e.grid(24, 40));
            assertEquals(32, e.hiddenSize());
            NDArray pixels = tensor("pixel_values", scope);
            assertEquals(new Shape(3, 3, 24, 40), pixels.getShape());
            EncoderOutput out = e.encode(pixels);
            assertEquals(grid, out.grid());
            NDArray expected = tensor("encoder_output", scope);
            assertClose(expected, out.features());
            // one image alone gives its row of the batch
            assertClose(expected.get("1:2"), e.encode(pixels.get("1:2")).features());

            try (Connector c = runtime.loader().load("torchscript:connector", Role.CONNECTOR, FIXTURE,
                    Map.of("file", "connector.pt", "input_size", 32, "output_size", 48), manager, DataType.FLOAT32)) {
                assertEquals(grid, c.outputGrid(grid));
                assertEquals(16, c.outputTokens(grid));
                assertClose(tensor("pipeline_output", scope), c.project(out.features(), null, out.grid()));
                assertClose(tensor("connector_output", scope), c.project(tensor("vision_features", scope), null, grid));
            }
        }
    }

    @Test
    void gridDeclaredDirectlyOrFromThePatchIsTheSame() {
        Map<String, Object> k = keys();
        k.remove("patch_size");
        k.put("grid", List.of(3, 5));
        try (VisionEncoder e = encoder(k); NDManager scope = manager.newSubManager()) {
            assertEquals(new TokenGrid(3, 5, 1), e.grid(24, 40));
            assertClose(tensor("encoder_output", scope), e.encode(tensor("pixel_values", scope)).features());
        }
    }

    @Test
    void inputsOfAnotherSizeAreRefusedNamingBothSizes() {
        try (VisionEncoder e = encoder(keys()); NDManager scope = manager.newSubManager()) {
            IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
                    () -> e.encode(scope.zeros(new Shape(3, 3, 40, 24))));
            assertTrue(swapped.getMessage().contains("encoder.pt expects pixel_values [batch, 3, 24, 40] (height, width), "
                    + "got (3, 3, 40, 24): 40x24 is not the declared 24x40 (height x width)"), swapped.getMessage());
            IllegalArgumentException grid = assertThrows(IllegalArgumentException.class, () -> e.grid(24, 24));
            assertTrue(grid.getMessage().contains("was traced at 24x40 (height, width), not 24x24 (height x width)"),
                    grid.getMessage());
            IllegalStateException square = assertThrows(IllegalStateException.class, e::imageSize);
            assertTrue(square.getMessage().contains("takes 24x40 (height x width) inputs, not a square image_size"),
                    square.getMessage());
        }
        // declared square where the module is not: the input check passes, the module's position embedding refuses
        Map<String, Object> k = keys();
        k.remove("height");
        k.remove("width");
        k.put("image_size", 40);
        try (VisionEncoder e = encoder(k); NDManager scope = manager.newSubManager()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> e.encode(scope.zeros(new Shape(1, 3, 24, 40))));
            assertTrue(ex.getMessage().contains("expects pixel_values [batch, 3, 40, 40] (image_size), got (1, 3, 24, 40)"),
                    ex.getMessage());
            IllegalArgumentException run = assertThrows(IllegalArgumentException.class,
                    () -> e.encode(scope.zeros(new Shape(1, 3, 40, 40))));
            assertTrue(run.getMessage().contains("TorchScript encoder.pt failed on inputs [(1, 3, 40, 40) float32]"),
                    run.getMessage());
        }
    }

    @Test
    void sizeKeysThatDoNotFitAreConfigErrors() {
        Map<String, Object> conflict = keys();
        conflict.put("grid", List.of(5, 3));
        assertConfigError(conflict, "grid [5, 3] disagrees with patch_size 8 at 24x40 (height x width), which makes [3, 5]");
        Map<String, Object> oneSide = keys();
        oneSide.remove("width");
        assertConfigError(oneSide, "declare the traced input size: height and width (or image_size for a square input), "
                + "got height 24");
        Map<String, Object> both = keys();
        both.put("image_size", 24);
        assertConfigError(both, "image_size 24 means height = width = 24 but height is 24 and width 40");
        Map<String, Object> noGrid = keys();
        noGrid.remove("patch_size");
        assertConfigError(noGrid, "declare the token grid: grid [rows, cols], or patch_size to compute it from height 24 "
                + "and width 40");
        Map<String, Object> patch = keys();
        patch.put("patch_size", 16);
        assertConfigError(patch, "patch_size must be a positive divisor of height 24 and width 40, got 16");
    }

    private static void assertConfigError(Map<String, Object> keys, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> encoder(keys));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
