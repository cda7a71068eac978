package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.RgbImage;
import org.mix4j.cli.Mix;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.understanding.UnderstandingPipeline.Request;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.registry.MixSettings;

/** The understanding pipeline end to end on the bundled tiny models and on YAML-only compositions. */
class UnderstandingPipelineTest {

    static final Path ROOT = Path.of(System.getProperty("mix.golden.dir")).getParent().getParent();
    static final Path EXAMPLES = ROOT.resolve("examples");
    static final Path IMAGE = EXAMPLES.resolve("images/field.png");
    static final String TOKENIZER = EXAMPLES.resolve("understanding/tiny-tokenizer").toString();

    private static MixRuntime runtime;
    private static NDManager manager;

    @TempDir
    Path dir;

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

    record Result(int code, String out, String err) {}

    static Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private static UnderstandingPipeline load(Path yaml) {
        return UnderstandingPipeline.load(PipelineConfig.load(yaml), runtime.loader(), manager);
    }

    @Test
    void aMissingNewlineTensorIsReportedAtItsKeyInTheFile(@TempDir Path dir) throws IOException {
        String yaml = Files.readString(EXAMPLES.resolve("understanding/tiny-llava-next.yaml"))
                .replace("../../testdata/golden/llava_next_tiling",
                        ROOT.resolve("testdata/golden/llava_next_tiling").toAbsolutePath().normalize().toString())
                + "newline_tensor: no_such_tensor\n";
        Path file = dir.resolve("bad-newline.yaml");
        Files.writeString(file, yaml);
        org.mix4j.config.ConfigException e = assertThrows(org.mix4j.config.ConfigException.class,
                () -> load(file).close());
        assertEquals(file.toString(), e.file(), e.getMessage());
        assertEquals(yaml.split("\n").length, e.line(), e.getMessage());
        assertEquals("newline_tensor", e.keyPath());
    }

    @Test
    void bundledExamplesAnswerThroughMixRun() {
        for (String example : List.of("tiny-llava.yaml", "tiny-llava-next.yaml")) {
            Result r = mix("run", EXAMPLES.resolve("understanding/" + example).toString(), "--image", IMAGE.toString(),
                    "--prompt", "What is in the picture?", "--stats");
            assertEquals(0, r.code(), example + ": " + r.err());
            assertFalse(r.out().isBlank(), example);
            assertTrue(r.err().contains("image tokens") && r.err().contains("decode"), r.err());
        }
    }

    @Test
    void anyresExpandsThePlaceholderToThePackedTokenCount() {
        try (UnderstandingPipeline p = load(EXAMPLES.resolve("understanding/tiny-llava-next.yaml"))) {
            RgbImage image = ImageDecoder.readRgb(IMAGE);
            // 96x64 with pinpoints [[32,64],[64,32],[64,64],[32,96],[96,32]]: (64,64) keeps most pixels -> 2x2 grid
            // of 4x4-token tiles: map 8x8, height 64*8/96 = 5.33 -> 5, pad (8-5)//2 = 1 -> rows [1, 7) = 6 rows
            // 16 base + 6 * (8 + 1) = 70
            assertEquals(70, p.vision().tokens(image.width(), image.height()));
            UnderstandingPipeline.Answer answer = p.answerWithStats(
                    List.of(new UnderstandingPipeline.Request(List.of(image), "hi")), p.generation(), null);
            assertEquals(70, answer.stats().imageTokens());
        }
    }

    @Test
    void batchedPromptsAnswerAsEachAlone() {
        try (UnderstandingPipeline p = load(EXAMPLES.resolve("understanding/tiny-llava.yaml"))) {
            RgbImage image = ImageDecoder.readRgb(IMAGE);
            DecodingSettings greedy = new DecodingSettings(6, 0, 0, 1, 1, 0, List.of(), List.of(), false);
            Request a = new Request(List.of(image), "what is this ?");
            Request b = new Request(List.of(image, image), "<image> left , <image> right : which is bigger ?");
            DecodeResult both = p.answer(List.of(a, b), greedy, null);
            DecodeResult aloneA = p.answer(List.of(a), greedy, null);
            DecodeResult aloneB = p.answer(List.of(b), greedy, null);
            assertEquals(java.util.Arrays.toString(aloneA.tokens().get(0)), java.util.Arrays.toString(both.tokens().get(0)));
            assertEquals(java.util.Arrays.toString(aloneB.tokens().get(0)), java.util.Arrays.toString(both.tokens().get(1)));
        }
    }

    @Test
    void mismatchedPlaceholdersMissingImagesAndLongPromptsAreClearErrors() {
        Path yaml = EXAMPLES.resolve("understanding/tiny-llava.yaml");
        Result placeholders = mix("run", yaml.toString(), "--image", IMAGE.toString(), "--prompt", "<image> and <image>");
        assertNotEquals(0, placeholders.code());
        assertTrue(placeholders.err().contains("2 image placeholder(s)") && placeholders.err().contains("1 image(s)"),
                placeholders.err());
        Result missing = mix("run", yaml.toString(), "--image", dir.resolve("nope.png").toString(), "--prompt", "x");
        assertNotEquals(0, missing.code());
        assertTrue(missing.err().contains("nope.png"), missing.err());
        // max_new_tokens is capped to the context the prompt leaves (as for task: text); a prompt with no room is an error
        Result capped = mix("run", yaml.toString(), "--image", IMAGE.toString(), "--prompt", "x",
                "--max-new-tokens", "1000");
        assertEquals(0, capped.code(), capped.err());
        Result context = mix("run", yaml.toString(), "--image", IMAGE.toString(), "--prompt", "x ".repeat(300));
        assertNotEquals(0, context.code());
        assertTrue(context.err().contains("context of 256 positions"), context.err());
        assertFalse(context.err().contains("\tat "), context.err());
    }

    @Test
    void undecodableImageIsNamed() throws IOException {
        Path bad = dir.resolve("broken.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Result r = mix("run", EXAMPLES.resolve("understanding/tiny-llava.yaml").toString(), "--image", bad.toString(),
                "--prompt", "x");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("broken.png"), r.err());
    }

    /** SigLIP + Perceiver resampler + Qwen2, none of them trained: the composition runs from YAML alone. */
    @Test
    void threeUnrelatedComponentsComposeFromYamlAlone() throws IOException {
        Path yaml = dir.resolve("compose.yaml");
        Files.writeString(yaml, """
                task: understanding
                image_processor: { type: hf_image_processor, image_processor_type: SiglipImageProcessor,
                                   size: {height: 32, width: 32} }
                encoder:   { type: siglip_vision, init: random, seed: 1, hidden_size: 32, intermediate_size: 64,
                             num_hidden_layers: 2, num_attention_heads: 2, image_size: 32, patch_size: 8 }
                connector: { type: perceiver_resampler, init: random, seed: 2, hidden_size: 48, resampler_n_latents: 8,
                             resampler_depth: 1, resampler_n_heads: 2, resampler_head_dim: 16, num_key_value_heads: 1,
                             modality_projection: true, in_features: 32, modality_intermediate_size: 64 }
                llm:       { type: qwen2, init: random, seed: 3, vocab_size: 128, hidden_size: 48, intermediate_size: 96,
                             num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
                             max_position_embeddings: 128, tie_word_embeddings: true }
                tokenizer: { type: hf_tokenizer, path: %s }
                generation: { max_new_tokens: 5 }
                """.formatted(TOKENIZER));
        Result validate = mix("validate", yaml.toString());
        assertEquals(0, validate.code(), validate.err());
        Result r = mix("run", yaml.toString(), "--image", IMAGE.toString(), "--prompt", "what is it ?", "--stats");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("8 image tokens"), r.err()); // the resampler's latents
    }

    /** A second, high-resolution encoder adds its features on the channel axis before the connector. */
    @Test
    void multiEncoderConcatenatesHighResolutionFeatures() throws IOException {
        Path yaml = dir.resolve("multi.yaml");
        Files.writeString(yaml, """
                task: understanding
                image_processor: { type: hf_image_processor, size: {shortest_edge: 32}, crop_size: {height: 32, width: 32} }
                encoder:   { type: clip_vision, init: random, seed: 1, hidden_size: 32, intermediate_size: 64,
                             num_hidden_layers: 2, num_attention_heads: 2, image_size: 32, patch_size: 8 }
                image_processor_hires: { type: hf_image_processor, image_processor_type: SiglipImageProcessor,
                                         size: {height: 64, width: 64} }
                encoder_hires: { type: siglip_vision, init: random, seed: 2, hidden_size: 16, intermediate_size: 32,
                                 num_hidden_layers: 1, num_attention_heads: 2, image_size: 64, patch_size: 8 }
                connector: { type: mlp, init: random, in_features: 48, out_features: 48 }
                tiling:    { type: dynamic, tile_size: 32, max_tiles: 4 }
                llm:       { type: llama, init: random, vocab_size: 128, hidden_size: 48, intermediate_size: 96,
                             num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2,
                             max_position_embeddings: 512 }
                tokenizer: { type: hf_tokenizer, path: %s }
                generation: { max_new_tokens: 3 }
                """.formatted(TOKENIZER));
        Result r = mix("run", yaml.toString(), "--image", IMAGE.toString(), "--prompt", "what ?", "--stats");
        assertEquals(0, r.code(), r.err());
        // 96x64, aspect 1.5, at most 4 tiles: (1,1), (2,1) and (2,2) all differ by 0.5; each later tie wins
        // because 6144 px > half the grid's area -> 2x2 tiles + thumbnail = 5 tiles of 4x4 tokens
        assertTrue(r.err().contains("80 image tokens"), r.err());
    }

    @Test
    void presetPrintsTheLlavaPipelineForACheckpointDirectory() {
        Result r = mix("run", "--model", ROOT.resolve("testdata/golden/llava_next_tiling").toString(), "--print-config");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("task: understanding") && r.out().contains("type: anyres")
                && r.out().contains("weights_prefix: language_model."), r.out());
        Result plain = mix("run", "--model", ROOT.resolve("testdata/golden/llava").toString(), "--print-config");
        assertFalse(plain.out().contains("type: anyres"), plain.out()); // not the bare word: it may be in the path
    }

    @Test
    void examplePipelinesValidate() {
        Result r = mix("validate", EXAMPLES.resolve("understanding/tiny-llava.yaml").toString(),
                EXAMPLES.resolve("understanding/tiny-llava-next.yaml").toString());
        assertEquals(0, r.code(), r.err());
        assertThrows(IllegalArgumentException.class, () -> {
            try (UnderstandingPipeline p = load(EXAMPLES.resolve("understanding/tiny-llava.yaml"))) {
                p.answer(List.of(), "<image> without an image", null);
            }
        });
    }
}
