package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.api.ControlNet;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigException;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/** The pipeline with the {@code controlnet_pipeline} fixture's ControlNet (prompt embeddings given). */
class ControlNetPipelineTest {

    private static NDManager models;
    private static GenerationComponents controlled;
    private static GenerationComponents plain;
    private NDManager manager;

    @BeforeAll
    static void load() {
        models = NDManager.newBaseManager();
        Path dir = golden("controlnet_pipeline");
        String yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), DiffusionFixtures.loader().registry(),
                null, null).orElseThrow();
        Map<String, ComponentSpec> sections = new LinkedHashMap<>(DiffusersLayout.sections(yaml, "test"));
        sections.remove("text_encoder");
        assertEquals("controlnet", sections.get("controlnet").type(), "model_index.json names a ControlNetModel");
        controlled = GenerationComponents.load(sections, dir, DiffusionFixtures.loader(), models, DataType.FLOAT32, 0);
        sections.remove("controlnet");
        plain = GenerationComponents.load(sections, dir, DiffusionFixtures.loader(), models, DataType.FLOAT32, 0);
    }

    @AfterAll
    static void unload() {
        controlled.close();
        plain.close();
        models.close();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private GenerationRequest.Builder request() {
        Shape embeds = new Shape(1, 16, 32);
        NDArray cond = PipelineNoise.seeded(1).randn(PipelineNoise.Draw.INITIAL_LATENTS, manager, embeds);
        NDArray uncond = PipelineNoise.seeded(2).randn(PipelineNoise.Draw.INITIAL_LATENTS, manager, embeds);
        return GenerationRequest.builder().promptEmbeds(cond, uncond).steps(2).seed(3);
    }

    private float[] latents(GenerationComponents parts, GenerationRequest r) {
        try (GenerationResult result = new StableDiffusionPipeline(parts).generate(r, ProgressListener.NONE, manager)) {
            return result.latents().toFloatArray();
        }
    }

    @Test
    void scaleZeroGivesTheUncontrolledImage() {
        RgbImage edges = edges(16, 16);
        assertArrayEquals(latents(plain, request().build()),
                latents(controlled, request().controlImage(edges).controlScale(0).build()));
        float[] withControl = latents(controlled, request().controlImage(edges).controlScale(1).build());
        float[] without = latents(plain, request().build());
        float diff = 0;
        for (int i = 0; i < without.length; i++) {
            diff = Math.max(diff, Math.abs(without[i] - withControl[i]));
        }
        assertTrue(diff > 1e-3, "the ControlNet changes the latents: " + diff);
    }

    @Test
    void oneWholeWindowOfMultiDiffusionEqualsThePlainControlledLoop() {
        GenerationRequest.Builder r = request().controlImage(edges(16, 16)).controlScale(0.8);
        float[] a = latents(controlled, r.build());
        float[] b = latents(controlled, r.tiling(new DenoiseTiling("multidiffusion", 64, 8, false, 1)).build());
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        assertTrue(worst < 1e-5, "control rows interleaved per view vs stacked: max |err| " + worst);
    }

    @Test
    void controlledPanoramaWiderThanNativeLeavesNoArraysBehind() {
        GenerationRequest r = request().size(32, 16).controlImage(edges(32, 16))
                .tiling(new DenoiseTiling("multidiffusion", 8, 4, true, 2)).build();
        int before = manager.getManagedArrays().size();
        try (GenerationResult out = new StableDiffusionPipeline(controlled).generate(r, ProgressListener.NONE, manager)) {
            assertEquals(new Shape(1, 16, 32, 3), out.image().getShape());
        }
        assertEquals(before, manager.getManagedArrays().size());
    }

    @Test
    void aControlNetNeedsAControlImageAndAControlImageNeedsAControlNet() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new StableDiffusionPipeline(controlled).generate(request().build(), ProgressListener.NONE, manager));
        assertTrue(missing.getMessage().contains("give a control image"), missing.getMessage());
        IllegalArgumentException extra = assertThrows(IllegalArgumentException.class,
                () -> new StableDiffusionPipeline(plain).generate(request().controlImage(edges(16, 16)).build(),
                        ProgressListener.NONE, manager));
        assertTrue(extra.getMessage().contains("'controlnet:'"), extra.getMessage());
    }

    @Test
    void rejectsSdxlStyleAddedConditions() {
        GoldenCase c = new GoldenCase(golden("controlnet"), "controlnet");
        ConfigException e = assertThrows(ConfigException.class, () -> DiffusionFixtures.loader().<ControlNet>load(
                "controlnet", Role.CONTROLNET, c.dir(), Map.of("addition_embed_type", "text_time"), manager,
                DataType.FLOAT32));
        assertTrue(e.getMessage().contains("addition_embed_type"), e.getMessage());
    }

    /** White vertical and horizontal lines on black, as an edge map. */
    private static RgbImage edges(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                byte v = (byte) (x % 6 == 2 || y % 5 == 1 ? 255 : 0);
                px[(y * w + x) * 3] = v;
                px[(y * w + x) * 3 + 1] = v;
                px[(y * w + x) * 3 + 2] = v;
            }
        }
        return new RgbImage(w, h, px);
    }
}
