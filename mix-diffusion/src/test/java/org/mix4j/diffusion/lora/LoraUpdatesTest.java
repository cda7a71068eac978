package org.mix4j.diffusion.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;
import org.mix4j.nn.CallAdapters;
import org.mix4j.nn.LoraUpdate;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * Per-call LoRA ({@link LoraUpdates}, {@link CallAdapters}) on the {@code lora_unet} fixture: the
 * unmerged update against the reference's merged outputs, no trace after the scope, threads apart.
 */
class LoraUpdatesTest {

    /** The reference's own unmerged-vs-merged difference is 2.1e-6; the case's atol is 1e-4. */
    private static final double TOLERANCE = 1e-4;

    private NDManager manager;
    private GoldenCase c;
    private Denoiser unet;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        c = new GoldenCase(golden("lora_unet"), "lora_unet");
        unet = DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, c.dir(), Map.of(), manager,
                DataType.FLOAT32);
    }

    @AfterEach
    void close() throws Exception {
        unet.close();
        manager.close();
    }

    private float[] forward() {
        try (NDManager work = manager.newSubManager()) {
            return unet.forward(c.tensor("sample", work), c.tensor("timestep", work),
                    c.tensor("encoder_hidden_states", work), null).toFloatArray();
        }
    }

    private float[] forward(LoraUpdate lora, double scale) {
        try (CallAdapters.Scope scope = CallAdapters.open(lora.scaled(scale))) {
            return forward();
        }
    }

    private double diff(float[] actual, String output) {
        try (NDManager work = manager.newSubManager()) {
            NDArray expected = c.tensor(output, work);
            return maxAbsDiff(work.create(actual).reshape(expected.getShape()), expected);
        }
    }

    @Test
    void unmergedUpdateMatchesTheMergedReference() {
        for (String file : new String[] {"lora_kohya.safetensors", "pytorch_lora_weights.safetensors"}) {
            try (LoraUpdate lora = unet.loadLora(c.dir().resolve(file), manager.newSubManager())) {
                assertEquals(48, lora.modules(), "every module of the fixture's LoRA, the 1x1 proj_in/out included");
                assertTrue(diff(forward(lora, 0.8), "out_sample_scale_0p8") < TOLERANCE, file);
                assertTrue(diff(forward(lora, 1.0), "out_sample_scale_1") < TOLERANCE, file);
            }
        }
    }

    @Test
    void closingTheScopeLeavesTheBaseModelExactly() {
        float[] base = forward();
        try (LoraUpdate lora = unet.loadLora(c.dir().resolve("lora_kohya.safetensors"), manager.newSubManager())) {
            assertTrue(maxAbsDiff(manager.create(forward(lora, 1.0)), manager.create(base)) > 1e-3,
                    "the LoRA changes the output");
            assertArrayEquals(base, forward(), "after the scope, the base model bit for bit");
        }
        assertArrayEquals(base, forward(), "after the LoRA is closed, the base model bit for bit");
    }

    @Test
    void anotherThreadDoesNotSeeTheScope() throws Exception {
        float[] base = forward();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (LoraUpdate lora = unet.loadLora(c.dir().resolve("lora_kohya.safetensors"), manager.newSubManager());
                CallAdapters.Scope scope = CallAdapters.open(lora.scaled(1.0))) {
            Future<float[]> plain = other.submit(() -> forward());
            assertArrayEquals(base, plain.get(), "a thread without the scope runs the base model");
        } finally {
            other.shutdown();
        }
    }

    @Test
    void aConvolutionLoraIsRefusedNamingTheModule(@TempDir Path dir) throws IOException {
        new SafeTensorsWriter()
                .put("lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight", manager.ones(new Shape(2, 32, 3, 3)))
                .put("lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight", manager.ones(new Shape(32, 2, 1, 1)))
                .write(dir.resolve("locon.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> unet.loadLora(dir.resolve("locon.safetensors"), manager.newSubManager()));
        assertTrue(e.getMessage().contains("lora_unet_down_blocks_0_resnets_0_conv1"), e.getMessage());
        assertTrue(e.getMessage().contains("merge"), e.getMessage());
    }
}
