package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.Pipelines;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.GenerationRequest;
import org.mix4j.pipelines.generation.GenerationResult;
import org.mix4j.pipelines.generation.Images;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.registry.MixSettings;

/**
 * The examples of docs/java-api.md, run on the bundled tiny pipelines. Each example lies between
 * {@code // doc:NAME} and {@code // end} in this file; {@link #docShowsExactlyTheseExamples} fails
 * when the doc's java blocks and these regions differ, so the doc cannot drift from code that
 * compiles and runs. In the examples, {@code examples} is the repository's {@code examples/} folder.
 */
class JavaApiTest {

    private static final Path SOURCE = Path.of("src/test/java/org/mix4j/examples/JavaApiTest.java");
    private static final Path DOC = Path.of("../docs/java-api.md");

    /** This module's folder is the repository's {@code examples/}. */
    private final Path examples = Path.of("").toAbsolutePath();

    @TempDir
    Path tmp;

    @FunctionalInterface
    interface Example {
        void run() throws Exception;
    }

    /** What {@code example} prints on {@code System.out}. */
    private static String printed(Example example) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            example.run();
        } finally {
            System.setOut(original);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        original.print(out);
        return out;
    }

    @Test
    void understandingFromYamlAndFromTheBuilderAnswerAlike() throws Exception {
        String fromYaml = printed(() -> {
            // doc:understanding-yaml
            PipelineConfig config = Pipelines.fromYaml(examples.resolve("understanding/tiny-llava.yaml"));
            try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                    NDManager manager = NDManager.newBaseManager();
                    UnderstandingPipeline llava = UnderstandingPipeline.load(config, runtime.loader(), manager)) {
                RgbImage image = new ImageDecoder().read(examples.resolve("images/field.png"));
                DecodeResult answer = llava.answer(List.of(image), "What is in the picture?", (row, text) -> { });
                System.out.println(answer.texts().get(0));
            }
            // end
        });
        String fromBuilder = printed(() -> {
            // doc:understanding-builder
            PipelineConfig config = Pipelines.builder("understanding")
                    .checkpoint(examples.resolve("../testdata/golden/llava"))
                    .component("image_processor", "hf_image_processor",
                            Map.of("size", Map.of("shortest_edge", 32), "crop_size", Map.of("height", 32, "width", 32)))
                    .component("encoder", "clip_vision", Map.of("weights_prefix", "vision_tower.", "feature_layer", -2))
                    .component("connector", "mlp", Map.of("weights_prefix", "multi_modal_projector."))
                    .component("llm", "llama", Map.of("weights_prefix", "language_model."))
                    .component("tokenizer", "hf_tokenizer", Map.of("path", examples.resolve("understanding/tiny-tokenizer")))
                    .set("generation", Map.of("max_new_tokens", 12, "temperature", 0))
                    .build();
            try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                    NDManager manager = NDManager.newBaseManager();
                    UnderstandingPipeline llava = UnderstandingPipeline.load(config, runtime.loader(), manager)) {
                RgbImage image = new ImageDecoder().read(examples.resolve("images/field.png"));
                llava.answer(List.of(image), "What is in the picture?", (row, text) -> System.out.print(text));
                System.out.println();
            }
            // end
        });
        assertFalse(fromYaml.isBlank());
        assertEquals(fromYaml.strip(), fromBuilder.strip(), "the builder assembles the same pipeline as tiny-llava.yaml");
    }

    @Test
    void textFromACheckpointFolder() throws Exception {
        // a Hugging Face folder: the tiny LLaMA fixture with the tiny tokenizer next to it
        Path checkpoint = Files.createDirectories(tmp.resolve("tiny-llama"));
        Path fixture = examples.resolve("../testdata/golden/llama_causal_lm");
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(fixture.resolve(f), checkpoint.resolve(f));
        }
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(examples.resolve("understanding/tiny-tokenizer").resolve(f), checkpoint.resolve(f));
        }
        String out = printed(() -> {
            // doc:text-checkpoint
            try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                    NDManager manager = NDManager.newBaseManager()) {
                PipelineConfig config = Pipelines.fromCheckpoint(runtime.registry(), checkpoint);
                try (TextPipeline llm = TextPipeline.load(config, runtime.loader(), manager)) {
                    DecodeResult r = llm.generate("Hello", llm.settings(), (row, text) -> { });
                    System.out.println(r.generatedTokens() + " tokens: " + r.texts().get(0));
                }
            }
            // end
        });
        assertTrue(out.matches("(?s)[1-9][0-9]* tokens: .*"), out);
    }

    @Test
    void imageGenerationFromYaml() throws Exception {
        Path png = tmp.resolve("cat.png");
        String out = printed(() -> {
            // doc:generation-yaml
            PipelineConfig config = Pipelines.fromYaml(examples.resolve("generation/tiny-sd.yaml"));
            try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                    NDManager manager = NDManager.newBaseManager();
                    GenerationComponents parts = GenerationComponents.load(config, runtime.loader(), manager)) {
                GenerationRequest request = GenerationRequest.builder(config.settings(DiffusionSettings.class))
                        .prompt("a photo of a cat").steps(4).seed(7).build();
                try (GenerationResult result = new StableDiffusionPipeline(parts).generate(request, ProgressListener.NONE,
                        manager)) {
                    RgbImage image = result.images().get(0);
                    Images.writePng(image, png);
                    System.out.println(image.width() + "x" + image.height());
                }
            }
            // end
        });
        assertEquals("16x16", out.strip());
        assertTrue(Files.size(png) > 0);
    }

    @Test
    void retrievalFromYaml() throws Exception {
        String out = printed(() -> {
            // doc:retrieval-yaml
            PipelineConfig config = Pipelines.fromYaml(examples.resolve("retrieval/tiny.yaml"));
            try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                    NDManager manager = NDManager.newBaseManager();
                    RetrievalPipeline clip = RetrievalPipeline.load(config, runtime.loader(), manager)) {
                RgbImage image = new ImageDecoder().read(examples.resolve("images/field.png"));
                float[][] embeddings = clip.embedImages(List.of(image, image));
                double cosine = 0;
                for (int i = 0; i < clip.dim(); i++) {
                    cosine += embeddings[0][i] * embeddings[1][i];   // the embeddings are L2-normalised
                }
                System.out.printf("%d dims, cosine %.3f%n", clip.dim(), cosine);
            }
            // end
        });
        assertEquals("16 dims, cosine 1.000", out.strip());
    }

    @Test
    void docShowsExactlyTheseExamples() throws IOException {
        List<String> inSource = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^([ \\t]*)// doc:[\\w-]+\\n(.*?)^[ \\t]*// end\\n", Pattern.DOTALL)
                .matcher(Files.readString(SOURCE));
        while (m.find()) {
            inSource.add(m.group(2).lines().map(l -> l.startsWith(m.group(1)) ? l.substring(m.group(1).length()) : l)
                    .reduce("", (a, b) -> a + b + "\n"));
        }
        List<String> inDoc = new ArrayList<>();
        Matcher d = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL).matcher(Files.readString(DOC));
        while (d.find()) {
            inDoc.add(d.group(1));
        }
        assertEquals(5, inSource.size(), "examples in " + SOURCE);
        assertEquals(inSource, inDoc, DOC + " must show the examples of " + SOURCE + " verbatim, in order");
    }
}
