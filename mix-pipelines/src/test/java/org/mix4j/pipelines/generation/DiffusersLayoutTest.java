package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.diffusion.schedulers.DdimScheduler;
import org.mix4j.registry.Registry;

class DiffusersLayoutTest {

    private static Registry registry() {
        return DiffusionFixtures.loader().registry();
    }

    @Test
    void mapsEveryComponentOfAStableDiffusionFolder() {
        Path dir = golden("sd_pipeline");
        String yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), registry(), null, null).orElseThrow();
        Map<String, ComponentSpec> sections = DiffusersLayout.sections(yaml, "preset");
        assertEquals("clip_text", sections.get("text_encoder").type());
        assertEquals("text_encoder", sections.get("text_encoder").weights());
        assertEquals("unet2d_condition", sections.get("denoiser").type());
        assertEquals("autoencoder_kl", sections.get("vae").type());
        assertEquals("ddim", sections.get("scheduler").type(), "scheduler_config.json _class_name DDIMScheduler");
        assertTrue(!sections.containsKey("tokenizer") && yaml.contains("# tokenizer: none in this folder"), yaml);
    }

    @Test
    void aSchedulerClassWithoutImplementationFallsBackToDdimWithAComment(@TempDir Path dir) throws IOException {
        Path folder = copyLayout(dir, "PNDMScheduler");
        String yaml = DiffusersLayout.yaml(folder, DiffusersLayout.modelIndex(folder), registry(), null, null).orElseThrow();
        assertTrue(yaml.contains("# PNDMScheduler is not implemented here"), yaml);
        assertEquals("ddim", DiffusersLayout.sections(yaml, "preset").get("scheduler").type());
    }

    @Test
    void factoriesDeclareTheCheckpointClassesTheyLoad() {
        var r = registry();
        assertEquals("unet2d_condition", r.forCheckpointClass(org.mix4j.api.Role.DENOISER, "UNet2DConditionModel").type());
        assertEquals("clip_text", r.forCheckpointClass(org.mix4j.api.Role.TEXT_ENCODER, "CLIPTextModelWithProjection").type());
        assertEquals("ddim", r.forCheckpointClass(org.mix4j.api.Role.SCHEDULER, "DDIMScheduler").type());
        assertEquals("qwen2", r.forCheckpointClass(org.mix4j.api.Role.LANGUAGE_MODEL, "Qwen2ForCausalLM").type());
        assertEquals("siglip_vision", r.forCheckpointClass(org.mix4j.api.Role.VISION_ENCODER, "siglip_vision_model").type());
        assertEquals(null, r.forCheckpointClass(org.mix4j.api.Role.VISION_ENCODER, "UNet2DConditionModel"), "role matters");
    }

    @Test
    void otherPipelinesAreNotThisPresetsBusiness(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusionXLPipeline\"}");
        Optional<String> yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), registry(), null, null);
        assertTrue(yaml.isEmpty());
    }

    @Test
    void anUnknownComponentClassIsNamed(@TempDir Path dir) throws IOException {
        Path folder = copyLayout(dir, "DDIMScheduler");
        Files.writeString(folder.resolve("model_index.json"), Files.readString(folder.resolve("model_index.json"))
                .replace("\"UNet2DConditionModel\"", "\"UNetSpatioTemporalConditionModel\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiffusersLayout.yaml(folder, DiffusersLayout.modelIndex(folder), registry(), null, null));
        assertTrue(e.getMessage().contains("UNetSpatioTemporalConditionModel"), e.getMessage());
    }

    @Test
    void pipelineEtaBecomesTheDdimSchedulersEta() {
        Path dir = golden("sd_pipeline");
        String yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), registry(), null, null).orElseThrow();
        Map<String, ComponentSpec> sections = new java.util.LinkedHashMap<>(DiffusersLayout.sections(yaml, "preset"));
        sections.remove("text_encoder");
        try (NDManager m = NDManager.newBaseManager();
                GenerationComponents parts = GenerationComponents.load(sections, dir, DiffusionFixtures.loader(), m,
                        DataType.FLOAT32, 0.5)) {
            assertEquals(0.5, ((DdimScheduler) parts.scheduler()).config().eta());
        }
    }

    /** model_index.json and a scheduler config of the given class in a temp folder. */
    private static Path copyLayout(Path dir, String schedulerClass) throws IOException {
        Path src = golden("sd_pipeline");
        Files.copy(src.resolve("model_index.json"), dir.resolve("model_index.json"));
        Files.createDirectories(dir.resolve("scheduler"));
        Files.writeString(dir.resolve("scheduler/scheduler_config.json"), Files.readString(
                src.resolve("scheduler/scheduler_config.json")).replace("DDIMScheduler", schedulerClass));
        return dir;
    }
}
