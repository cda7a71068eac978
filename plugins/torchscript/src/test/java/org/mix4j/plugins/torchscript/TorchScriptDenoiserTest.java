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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigException;
import org.mix4j.registry.MixSettings;

/**
 * {@code torchscript:denoiser} on a TorchScript module with three inputs, written by hand:
 * {@code 2 * sample + timestep[:, None, None, None] + mean(encoder_hidden_states)}, checked against
 * the same arithmetic in Java. The plugin comes from its built jar.
 */
class TorchScriptDenoiserTest {

    @TempDir
    static Path dir;

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() throws IOException {
        TorchScriptArchive.write(dir.resolve("denoiser.pt"), "Denoiser", """
                    sample: Tensor,
                    timestep: Tensor,
                    encoder_hidden_states: Tensor) -> Tensor:
                    _0 = torch.reshape(timestep, [-1, 1, 1, 1])
                    _1 = torch.add(torch.mul(sample, 2.), _0)
                    return torch.add(_1, torch.mean(encoder_hidden_states))
                """);
        runtime = MixRuntime.start(MixSettings.withPlugins(MixProcess.installed(dir)));
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    private static Denoiser load(Map<String, Object> keys) {
        return runtime.loader().load("torchscript:denoiser", Role.DENOISER, dir, keys, manager, DataType.FLOAT32);
    }

    private static final Map<String, Object> KEYS = Map.of("file", "denoiser.pt", "in_channels", 2, "sample_size", 3);

    @Test
    void passesSampleTimestepAndConditioningInTheDeclaredOrder() {
        try (Denoiser d = load(KEYS); NDManager scope = manager.newSubManager()) {
            float[] sample = new float[2 * 2 * 3 * 3];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = i * 0.25f - 3;
            }
            float[] ehs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13};
            double mean = 79 / 12.0;
            NDArray out = d.forward(scope.create(sample, new Shape(2, 2, 3, 3)), scope.create(new long[] {10, 500}),
                    scope.create(ehs, new Shape(2, 3, 2)), null);
            assertEquals(new Shape(2, 2, 3, 3), out.getShape());
            assertEquals(scope, out.getManager());
            float[] actual = out.toFloatArray();
            for (int i = 0; i < sample.length; i++) {
                double t = i < 18 ? 10 : 500;
                assertEquals(2.0 * sample[i] + t + mean, actual[i], 1e-4, "element " + i);
            }
            assertEquals(2, d.inChannels());
            assertEquals(3, d.sampleSize());
        }
    }

    /** Latents of any size and batch pass through: sample_size is only the default size, not a check. */
    @Test
    void nonSquareLatentsOfBatchThreePassThrough() {
        try (Denoiser d = load(KEYS); NDManager scope = manager.newSubManager()) {
            NDArray sample = scope.arange(0f, 90f).reshape(3, 2, 3, 5).mul(0.1f);
            NDArray out = d.forward(sample, scope.create(new float[] {1, 2, 3}), scope.ones(new Shape(3, 4, 2)), null);
            assertEquals(new Shape(3, 2, 3, 5), out.getShape());
            float[] in = sample.toFloatArray();
            float[] actual = out.toFloatArray();
            for (int i = 0; i < in.length; i++) {
                assertEquals(2.0 * in[i] + (1 + i / 30) + 1, actual[i], 1e-4, "element " + i);
            }
        }
    }

    @Test
    void repeatedStepsLeaveNoArraysBehind() {
        try (Denoiser d = load(KEYS); NDManager parent = manager.newSubManager()) {
            NDArray x = parent.ones(new Shape(1, 2, 3, 3));
            NDArray t = parent.create(new long[] {7});
            NDArray c = parent.ones(new Shape(1, 4, 2));
            d.forward(x, t, c, null).close();
            int before = parent.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                d.forward(x, t, c, null).close();
            }
            assertEquals(before, parent.getManagedArrays().size());
            assertEquals(parent, t.getManager());
        }
    }

    @Test
    void aSignatureThatDoesNotMatchTheModuleFailsNamingTheFile() {
        try (Denoiser d = load(Map.of("file", "denoiser.pt", "in_channels", 2, "sample_size", 3, "inputs",
                List.of("sample", "timestep"))); NDManager scope = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.forward(
                    scope.ones(new Shape(1, 2, 3, 3)), scope.create(new long[] {1}), null, null));
            assertTrue(e.getMessage().contains("TorchScript denoiser.pt failed on inputs [(1, 2, 3, 3) float32, (1) float32]"),
                    e.getMessage());
        }
    }

    @Test
    void controlNetResidualsAreRefused() {
        try (Denoiser d = load(KEYS); NDManager scope = manager.newSubManager()) {
            assertThrows(UnsupportedOperationException.class, () -> d.forward(scope.ones(new Shape(1, 2, 3, 3)),
                    scope.create(new long[] {1}), scope.ones(new Shape(1, 1, 1)),
                    new DenoiserResiduals(List.of(), scope.zeros(new Shape(1)))));
        }
    }

    @Test
    void unknownInputNameIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("file", "denoiser.pt", "in_channels", 2,
                "sample_size", 3, "inputs", List.of("sample", "timesteps"))));
        assertTrue(e.getMessage().contains("inputs must list distinct names among [encoder_hidden_states, sample, timestep]"),
                e.getMessage());
    }
}
