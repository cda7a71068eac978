package org.mix4j.pipelines.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.ConfigException;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;

class PipelineConfigTest {

    static final String UNDERSTANDING = """
            task: understanding
            checkpoint: ${MIX_MODELS}/llava-v1.6-mistral-7b-hf
            tiling:    { type: anyres, grid_pinpoints: [[336,672],[672,336],[672,672],[1008,336],[336,1008]] }
            encoder:   { type: clip_vision, weights_prefix: vision_tower., feature_layer: -2, select: patch }
            connector: { type: mlp, num_layers: 2, hidden_act: gelu, weights_prefix: multi_modal_projector. }
            llm:       { type: llama, weights_prefix: language_model. }
            tokenizer: { type: hf_tokenizer }
            generation: { max_new_tokens: 256, temperature: 0, seed: 0 }
            """;

    static final String GENERATION = """
            task: generation
            checkpoint: ${MIX_MODELS}/stable-diffusion-v1-5
            text_encoder: { type: clip_text, weights: text_encoder }
            tokenizer:    { type: clip_bpe, path: tokenizer }
            denoiser:     { type: unet2d_condition, weights: unet }
            vae:          { type: autoencoder_kl, weights: vae, tiling: { enabled: true } }
            scheduler:    { type: dpm_solver_pp, num_inference_steps: 25 }
            guidance_scale: 7.5
            size: [512, 512]
            seed: 42
            """;

    private static PipelineConfig parse(String text) {
        var root = new YamlLoader(EnvExpander.of(Map.of("MIX_MODELS", "/models"))).load(new StringReader(text), "p.yaml");
        return PipelineConfig.parse(root, "p.yaml", Path.of("/base"));
    }

    @Test
    void parsesTheDesignSketchOfAnUnderstandingPipeline() {
        PipelineConfig c = parse(UNDERSTANDING);
        assertEquals("understanding", c.task());
        assertEquals(Path.of("/models/llava-v1.6-mistral-7b-hf"), c.checkpoint());
        assertEquals("vision_tower.", c.component("encoder").weightsPrefix());
        assertEquals("anyres", c.component("tiling").type());
        assertEquals(256, c.settings(UnderstandingSettings.class).generation().maxNewTokens());
        assertEquals(5, c.components().size());
    }

    @Test
    void parsesTheDesignSketchOfAGenerationPipeline() {
        PipelineConfig c = parse(GENERATION);
        assertEquals("unet", c.component("denoiser").weights());
        DiffusionSettings s = c.settings(DiffusionSettings.class);
        assertEquals(7.5, s.guidanceScale());
        assertEquals(java.util.List.of(512, 512), s.size());
        assertEquals(42, s.seed());
    }

    @Test
    void relativeCheckpointResolvesAgainstTheYamlDirectory() {
        PipelineConfig c = parse("task: text\ncheckpoint: ../models/tiny\nllm: {type: llama}\ntokenizer: {type: hf_tokenizer}\n");
        assertEquals(Path.of("/models/tiny"), c.checkpoint());
    }

    @Test
    void withoutACheckpointSectionPathsResolveAgainstTheYamlDirectory() {
        PipelineConfig c = parse("task: text\nllm: {type: llama, weights: ../models/tiny, config: cfg/llama.json}\n"
                + "tokenizer: {type: hf_tokenizer, path: /abs/tok}\n");
        assertEquals("/models/tiny", c.component("llm").weights());
        assertEquals("/base/cfg/llama.json", c.component("llm").config());
        assertEquals("/abs/tok", c.component("tokenizer").weights());
        PipelineConfig withCheckpoint = parse("task: text\ncheckpoint: /ckpt\nllm: {type: llama, weights: sub}\n"
                + "tokenizer: {type: hf_tokenizer}\n");
        assertEquals("sub", withCheckpoint.component("llm").weights()); // the loader resolves it against the checkpoint
    }

    @Test
    void float16IsAcceptedAndBfloat16IsRefusedWithTheReasonAndLine() {
        String base = "task: text\nllm: {type: llama}\ntokenizer: {type: hf_tokenizer}\n";
        assertEquals(ai.djl.ndarray.types.DataType.FLOAT16, parse(base + "dtype: float16\n").dataType());
        ConfigException e = assertThrows(ConfigException.class, () -> parse(base + "dtype: bfloat16\n"));
        assertEquals("dtype", e.keyPath());
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("abort the process on bfloat16"), e.getMessage());
        assertEquals(java.util.List.of("float32", "float16"), e.validKeys());
        ConfigException typo = assertThrows(ConfigException.class, () -> parse(base + "dtype: fp16\n"));
        assertTrue(typo.getMessage().contains("'fp16' is not one of"), typo.getMessage());
    }

    @Test
    void rejectsUnknownTaskListingTasks() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("task: painting\n"));
        assertTrue(e.validKeys().contains("understanding") && e.validKeys().contains("generation"));
        assertEquals(1, e.line());
    }

    @Test
    void rejectsUnknownTopLevelKeyWithTheTasksKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(GENERATION + "guidance: 3\n"));
        assertEquals("guidance", e.keyPath());
        assertEquals(11, e.line());
        assertTrue(e.validKeys().contains("guidance_scale"));
    }

    @Test
    void rejectsMissingComponentAndTypelessSection() {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> parse("task: text\nllm: {type: llama}\n"));
        assertEquals("tokenizer", missing.keyPath());
        ConfigException typeless = assertThrows(ConfigException.class,
                () -> parse("task: text\nllm: {weights: x}\ntokenizer: {type: hf_tokenizer}\n"));
        assertEquals("llm.type", typeless.keyPath());
    }

    @Test
    void rejectsBadSettingValuesAtTheirLine() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(UNDERSTANDING.replace("temperature: 0", "temperature: -1")));
        assertTrue(e.getMessage().contains("temperature must be >= 0"), e.getMessage());
        ConfigException init = assertThrows(ConfigException.class,
                () -> parse(UNDERSTANDING.replace("select: patch", "init: randomly")));
        assertEquals("encoder.init", init.keyPath());
    }

    @Test
    void rejectsNanAndInfinitySettingsNamingTheKey() {
        // each was accepted: NaN temperature ran greedy, NaN top_p turned filtering off, NaN
        // repetition_penalty gave an empty answer, NaN guidance turned guidance off, Infinity a black image
        for (String setting : java.util.List.of("temperature: .nan", "top_p: .nan", "repetition_penalty: .nan",
                "temperature: .inf")) {
            String key = setting.substring(0, setting.indexOf(':'));
            ConfigException e = assertThrows(ConfigException.class,
                    () -> parse(UNDERSTANDING.replace("temperature: 0", setting)), setting);
            assertTrue(e.getMessage().contains(key + " must be a finite number"), e.getMessage());
        }
        for (String setting : java.util.List.of("guidance_scale: .nan", "guidance_scale: .inf", "strength: .nan",
                "eta: .nan", "controlnet_conditioning_scale: .inf")) {
            String key = setting.substring(0, setting.indexOf(':'));
            ConfigException e = assertThrows(ConfigException.class,
                    () -> parse(GENERATION.replace("guidance_scale: 7.5", setting.startsWith("guidance") ? setting
                            : "guidance_scale: 7.5\n" + setting)), setting);
            assertTrue(e.getMessage().contains(key + " must be a finite number"), e.getMessage());
        }
    }

    @Test
    void aMissingComponentOrTaskIsReportedAtTheDocumentNotAtAnInventedLine() {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> parse("# a text pipeline\n\ntask: text\nllm: {type: llama}\n"));
        assertEquals("tokenizer", missing.keyPath());
        assertEquals(3, missing.line(), missing.getMessage());
        ConfigException noTask = assertThrows(ConfigException.class, () -> parse("# no task\nllm: {type: llama}\n"));
        assertEquals(2, noTask.line(), noTask.getMessage());
        ConfigException nullTask = assertThrows(ConfigException.class, () -> parse("llm: {type: llama}\ntask:\n"));
        assertEquals(2, nullTask.line(), nullTask.getMessage());
    }

    @Test
    void aSettingsCheckPointsAtTheValueItRejects() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(GENERATION + "strength: 2\n"));
        assertEquals("strength", e.keyPath());
        assertEquals(11, e.line());
        ConfigException tiling = assertThrows(ConfigException.class,
                () -> parse(GENERATION + "tiling: { type: mosaic }\n"));
        assertEquals("tiling.type", tiling.keyPath());
        assertEquals(11, tiling.line());
    }

    private static PipelineConfig.Validation check(String text) {
        var root = new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader(text), "p.yaml");
        return PipelineConfig.check(root, "p.yaml", null, org.mix4j.llm.TinyModels.loader());
    }

    private static java.util.List<String> messages(PipelineConfig.Validation v) {
        return v.errors().stream().map(Throwable::getMessage).toList();
    }

    @Test
    void checkReportsAMisspeltKeyAMissingSlotAndAComponentKeyInOneRun() {
        PipelineConfig.Validation v = check("""
                task: text
                llm: { type: llama, init: random, hiden_size: 8 }
                generaton: { max_new_tokens: 4 }
                dtype: fp16
                """);
        java.util.List<String> m = messages(v);
        assertEquals(4, m.size(), String.join("\n", m));
        assertTrue(m.stream().anyMatch(e -> e.startsWith("p.yaml:3:1: generaton: unknown key for task 'text'")), m.toString());
        assertTrue(m.stream().anyMatch(e -> e.contains("tokenizer: missing required component")), m.toString());
        assertTrue(m.stream().anyMatch(e -> e.startsWith("p.yaml:4:8: dtype:")), m.toString());
        assertTrue(m.stream().anyMatch(e -> e.startsWith("p.yaml:2:") && e.contains("llm.hiden_size: unknown key")),
                m.toString());
    }

    static final String TINY_UNDERSTANDING = """
            task: understanding
            encoder:
              type: clip_vision
              init: random
              hidden_size: 16
              intermediate_size: 32
              num_hidden_layers: 1
              num_attention_heads: 2
              image_size: 8
              patch_size: 4
            connector: { type: mlp, init: random, in_features: 16, out_features: 24 }
            llm:
              type: llama
              init: random
              vocab_size: 50
              hidden_size: 24
              intermediate_size: 32
              num_hidden_layers: 1
              num_attention_heads: 2
            tokenizer: { type: hf_tokenizer }
            """;

    @Test
    void tinyMatchingComponentsValidate() {
        PipelineConfig.Validation v = check(TINY_UNDERSTANDING);
        assertTrue(v.ok(), messages(v).toString());
    }

    @Test
    void widthMismatchesAreReportedAtTheSectionThatFeedsTheOther() {
        PipelineConfig.Validation v = check(TINY_UNDERSTANDING.replace("in_features: 16, out_features: 24",
                "in_features: 12, out_features: 32"));
        assertEquals(java.util.List.of(
                "p.yaml:3:3: encoder: output width 16 does not match connector input_width 12",
                "p.yaml:11:12: connector: output width 32 does not match llm hidden_size 24"), messages(v));
    }

    @Test
    void aTokenizerWithMoreIdsThanTheEmbeddingHasRowsIsReported() {
        String tokenizer = org.mix4j.llm.TestData.resource("tiny-chat").toAbsolutePath().toString(); // ids 0..268 (the model pads its embedding to 272)
        String yaml = """
                task: text
                llm: { type: llama, init: random, vocab_size: VOCAB, hidden_size: 8, intermediate_size: 16,
                       num_hidden_layers: 1, num_attention_heads: 2 }
                tokenizer: { type: hf_tokenizer, weights: "DIR" }
                """.replace("DIR", tokenizer);
        assertTrue(check(yaml.replace("VOCAB", "272")).ok(), messages(check(yaml.replace("VOCAB", "272"))).toString());
        assertEquals(java.util.List.of("p.yaml:4:12: tokenizer: vocab size 269 exceeds llm vocab_size 200"),
                messages(check(yaml.replace("VOCAB", "200"))));
    }

    @Test
    void aHighResolutionEncodersWidthAddsToTheConnectorsInput() {
        String hires = TINY_UNDERSTANDING.replace("connector: {", """
                encoder_hires: { type: clip_vision, init: random, hidden_size: 8, intermediate_size: 16,
                                 num_hidden_layers: 1, num_attention_heads: 2, image_size: 8, patch_size: 4 }
                image_processor_hires: { type: hf_image_processor }
                connector: {""");
        assertTrue(check(hires.replace("in_features: 16", "in_features: 24")).ok(),
                messages(check(hires.replace("in_features: 16", "in_features: 24"))).toString());
        java.util.List<String> m = messages(check(hires));
        assertEquals(1, m.size(), m.toString());
        assertTrue(m.get(0).endsWith("encoder: output width 24 (encoder 16 + encoder_hires 8) does not match connector "
                + "input_width 16"), m.toString());
    }

    @Test
    void undeclaredWidthsAreSkipped() {
        PipelineConfig.Validation v = check(TINY_UNDERSTANDING.replace("in_features: 16, out_features: 24", ""));
        assertTrue(v.ok(), messages(v).toString());
    }

    @Test
    void classDefaultsStandingInForAnAbsentCheckpointAreNotCompared() {
        PipelineConfig.Validation v = check("""
                task: generation
                checkpoint: /nowhere/stable-diffusion-v1-5
                text_encoder: { type: clip_text, weights: text_encoder }
                tokenizer:    { type: clip_bpe, path: tokenizer }
                denoiser:     { type: unet2d_condition, weights: unet }
                vae:          { type: autoencoder_kl, weights: vae }
                scheduler:    { type: ddim }
                """);
        assertTrue(v.ok(), messages(v).toString());
        assertEquals(1, v.warnings().size(), v.warnings().toString());
    }
}
