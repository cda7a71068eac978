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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.SafeTensorsWriter;

/** LoRA merging on the {@code lora_unet} fixture's UNet and its two LoRA files. */
class LoraWeightsTest {

    private static final String KOHYA = "lora_kohya.safetensors";
    private static final String PEFT = "pytorch_lora_weights.safetensors";

    private NDManager manager;
    private GoldenCase c;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        c = new GoldenCase(golden("lora_unet"), "lora_unet");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray run(Path dir, List<Map<String, Object>> lora) {
        Map<String, Object> overrides = lora == null ? Map.of() : Map.of("lora", lora);
        try (Denoiser unet = DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, dir, overrides, manager,
                DataType.FLOAT32)) {
            return unet.forward(c.tensor("sample", manager), c.tensor("timestep", manager),
                    c.tensor("encoder_hidden_states", manager), null);
        }
    }

    @Test
    void peftAndKohyaFilesMergeToTheSameModel() {
        NDArray kohya = run(c.dir(), List.of(Map.of("file", KOHYA, "scale", 0.8)));
        NDArray peft = run(c.dir(), List.of(Map.of("file", PEFT, "scale", 0.8)));
        assertTrue(maxAbsDiff(kohya, peft) < 1e-5, "max |err| " + maxAbsDiff(kohya, peft));
        assertTrue(maxAbsDiff(kohya, run(c.dir(), null)) > 1e-3, "the LoRA changes the output");
    }

    @Test
    void scaleZeroIsExactlyTheBaseModel() {
        assertArrayEquals(run(c.dir(), null).toFloatArray(),
                run(c.dir(), List.of(Map.of("file", KOHYA, "scale", 0.0))).toFloatArray());
    }

    @Test
    void severalFilesAddUp() {
        NDArray halves = run(c.dir(), List.of(Map.of("file", KOHYA, "scale", 0.5), Map.of("file", PEFT, "scale", 0.5)));
        NDArray whole = run(c.dir(), List.of(Map.of("file", KOHYA, "scale", 1.0)));
        assertTrue(maxAbsDiff(halves, whole) < 1e-5, "max |err| " + maxAbsDiff(halves, whole));
    }

    @Test
    void mergingKeepsTheModelsArrayCount() {
        int[] counts = new int[2];
        for (int i = 0; i < 2; i++) {
            try (NDManager m = NDManager.newBaseManager();
                    Denoiser unet = DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, c.dir(),
                            i == 0 ? Map.of() : Map.of("lora", List.of(Map.of("file", KOHYA))), m, DataType.FLOAT32)) {
                counts[i] = m.getManagedArrays().size();
            }
        }
        assertEquals(counts[0], counts[1], "unmerged weights and LoRA temporaries are freed");
    }

    @Test
    void aLoraForOtherModulesIsRefusedNamingThem(@TempDir Path dir) throws IOException {
        copyUnet(dir);
        new SafeTensorsWriter()
                .put("lora_unet_no_such_block_proj_in.lora_down.weight", manager.ones(new Shape(2, 32)))
                .put("lora_unet_no_such_block_proj_in.lora_up.weight", manager.ones(new Shape(32, 2)))
                .write(dir.resolve("other.safetensors"));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> run(dir, List.of(Map.of("file", "other.safetensors"))));
        assertTrue(e.getMessage().contains("lora_unet_no_such_block_proj_in"), e.getMessage());
    }

    @Test
    void aFileWithoutUnetLoraTensorsIsRefused(@TempDir Path dir) throws IOException {
        copyUnet(dir);
        new SafeTensorsWriter().put("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
                manager.ones(new Shape(2, 8))).write(dir.resolve("te.safetensors"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> run(dir, List.of(Map.of("file", "te.safetensors"))));
        assertTrue(e.getMessage().contains("no UNet LoRA tensors"), e.getMessage());
    }

    private void copyUnet(Path dir) throws IOException {
        Files.copy(c.file("config.json"), dir.resolve("config.json"));
        Files.copy(c.file("diffusion_pytorch_model.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"));
    }
}
