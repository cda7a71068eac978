package org.mix4j.plugins.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.golden.OutputResult;
import org.mix4j.registry.MixSettings;

/**
 * The {@code torchscript_block} fixture (torch 1.13 traced archives) through the plugin's runner,
 * and the encoder's and connector's checks, with the plugin loaded from its built jar (its classes
 * are not on the test classpath): its types are {@code torchscript:encoder} and {@code torchscript:connector}.
 */
class TorchScriptBlockTest {

    static final Path FIXTURE = Path.of(System.getProperty("mix.golden.dir"), "torchscript_block");

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

    private static Map<String, Object> encoderKeys() {
        return new HashMap<>(Map.of("file", "encoder.pt", "image_size", 32, "grid", List.of(4, 4), "hidden_size", 32));
    }

    private static VisionEncoder encoder(Map<String, Object> keys) {
        return runtime.loader().load("torchscript:encoder", Role.VISION_ENCODER, FIXTURE, keys, manager, DataType.FLOAT32);
    }

    @Test
    void fixturePassesEveryOutputWithinItsTolerance() {
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(List.of(FIXTURE));
        assertEquals(1, cases.size());
        CaseResult r = verifier.run(cases.get(0), manager);
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        assertEquals(List.of("encoder_output", "connector_output", "pipeline_output"),
                r.outputs().stream().map(OutputResult::name).toList());
        for (OutputResult o : r.outputs()) {
            assertTrue(o.compared() > 0 && o.maxAbsError() < 1e-4, o.toString());
        }
    }

    @Test
    void encoderDeclaresItsGridAndRefusesOtherSizes() {
        try (VisionEncoder e = encoder(encoderKeys()); NDManager scope = manager.newSubManager()) {
            assertEquals(new TokenGrid(4, 4, 0), e.grid(32, 32));
            assertEquals(32, e.imageSize());
            assertEquals(32, e.hiddenSize());
            EncoderOutput out = e.encode(scope.zeros(new Shape(3, 3, 32, 32)));
            assertEquals(new Shape(3, 16, 32), out.features().getShape());
            assertNull(out.pooled());
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> e.grid(64, 64));
            assertTrue(size.getMessage().contains("was traced at 32x32 (image_size), not 64x64"), size.getMessage());
            IllegalArgumentException input = assertThrows(IllegalArgumentException.class,
                    () -> e.encode(scope.zeros(new Shape(1, 3, 48, 48))));
            assertTrue(input.getMessage().contains("expects pixel_values [batch, 3, 32, 32] (image_size)"),
                    input.getMessage());
        }
    }

    @Test
    void declaredSizesThatDisagreeWithTheModuleAreNamed() {
        Map<String, Object> keys = encoderKeys();
        keys.put("hidden_size", 64);
        try (VisionEncoder e = encoder(keys); NDManager scope = manager.newSubManager()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> e.encode(scope.zeros(new Shape(1, 3, 32, 32))));
            assertTrue(ex.getMessage().contains("returned features (1, 16, 32) but the YAML declares (1, 16, 64)")
                    && ex.getMessage().contains("hidden_size 64"), ex.getMessage());
        }
        try (Connector c = runtime.loader().load("torchscript:connector", Role.CONNECTOR, FIXTURE,
                Map.of("file", "connector.pt", "output_size", 48, "output_tokens", 4), manager, DataType.FLOAT32);
                NDManager scope = manager.newSubManager()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> c.project(scope.zeros(new Shape(1, 16, 32)), null, new TokenGrid(4, 4, 0)));
            assertTrue(ex.getMessage().contains("but the YAML declares (1, 4, 48) (output_size 48, output_tokens 4)"),
                    ex.getMessage());
        }
    }

    @Test
    void connectorKeepsTheGridAndChecksItsInputWidth() {
        try (Connector c = runtime.loader().load("torchscript:connector", Role.CONNECTOR, FIXTURE,
                Map.of("file", "connector.pt", "input_size", 32, "output_size", 48), manager, DataType.FLOAT32);
                NDManager scope = manager.newSubManager()) {
            TokenGrid grid = new TokenGrid(2, 3, 1);
            assertEquals(7, c.outputTokens(grid));
            assertEquals(grid, c.outputGrid(grid));
            assertEquals(new Shape(2, 7, 48), c.project(scope.ones(new Shape(2, 7, 32)), null, grid).getShape());
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> c.project(scope.ones(new Shape(2, 7, 31)), null, grid));
            assertTrue(ex.getMessage().contains("expects vision_features [batch, 7 (grid"), ex.getMessage());
        }
    }

    @Test
    void repeatedEncodingsLeaveNoArraysBehind() {
        try (VisionEncoder e = encoder(encoderKeys()); NDManager parent = manager.newSubManager()) {
            NDArray x = parent.ones(new Shape(1, 3, 32, 32));
            e.encode(x).features().close();
            int before = parent.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                e.encode(x).features().close();
            }
            assertEquals(before, parent.getManagedArrays().size());
            assertEquals(parent, x.getManager());
        }
    }

    @Test
    void missingOrUnplacedFilesAreReportedAtLoad() {
        Map<String, Object> keys = encoderKeys();
        keys.put("file", "nope.pt");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> encoder(keys));
        assertTrue(missing.getMessage().contains("TorchScript file " + FIXTURE.resolve("nope.pt") + " does not exist"),
                missing.getMessage());
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class, () -> runtime.loader().load(
                "torchscript:encoder", Role.VISION_ENCODER, null, encoderKeys(), manager, DataType.FLOAT32));
        assertTrue(relative.getMessage().contains("file 'encoder.pt' is relative but the component has no directory"),
                relative.getMessage());
        IllegalArgumentException notTorch = assertThrows(IllegalArgumentException.class, () -> runtime.loader().load(
                "torchscript:connector", Role.CONNECTOR, FIXTURE, Map.of("file", "io.safetensors", "output_size", 48), manager,
                DataType.FLOAT32));
        assertTrue(notTorch.getMessage().contains("cannot load TorchScript file"), notTorch.getMessage());
    }
}
