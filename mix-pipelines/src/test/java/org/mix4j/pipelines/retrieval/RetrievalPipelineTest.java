package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.golden.GoldenCase;
import org.mix4j.pipelines.RoleOnlyComponents.ZeroTextEncoder;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.tensor.TensorParallel;

/** The retrieval pipeline on the clip_full golden fixture (transformers CLIPModel outputs). */
class RetrievalPipelineTest extends EncoderTestSupport {

    @TempDir
    Path dir;

    RetrievalPipeline load(Path yaml, NDManager m) {
        return RetrievalPipeline.load(PipelineConfig.load(yaml), loader, m);
    }

    static float[][] rows(NDArray a) {
        int n = (int) a.getShape().get(0);
        int w = (int) a.getShape().get(1);
        float[] flat = a.toFloatArray();
        return IntStream.range(0, n).mapToObj(r -> java.util.Arrays.copyOfRange(flat, r * w, (r + 1) * w))
                .toArray(float[][]::new);
    }

    static long[][] longRows(NDArray a) {
        int n = (int) a.getShape().get(0);
        int w = (int) a.getShape().get(1);
        long[] flat = a.toLongArray();
        return IntStream.range(0, n).mapToObj(r -> java.util.Arrays.copyOfRange(flat, r * w, (r + 1) * w))
                .toArray(long[][]::new);
    }

    static short[] fp16(float[][] rows) {
        int w = rows[0].length;
        short[] out = new short[rows.length * w];
        for (int r = 0; r < rows.length; r++) {
            for (int i = 0; i < w; i++) {
                out[r * w + i] = Fp16.fromFloat(rows[r][i]);
            }
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void textSearchRanksTheImagesAsTheReferenceModel() {
        GoldenCase c = new GoldenCase(RetrievalFixtures.clipFull(), "clip_full");
        Path yaml = RetrievalFixtures.pipelineYaml(dir, c.dir(), "");
        try (NDManager m = root.newSubManager(); RetrievalPipeline p = load(yaml, m)) {
            float[][] images = p.embedPixels(c.tensor("pixel_values", m));
            float[][] texts = p.embedTokens(longRows(c.tensor("input_ids", m)), longRows(c.tensor("attention_mask", m)));
            float[][] refImages = rows(c.tensor("image_embeds", m));
            float[][] refTexts = rows(c.tensor("text_embeds", m));
            assertArrayClose(refImages, images, 1e-4, "image_embeds");
            assertArrayClose(refTexts, texts, 1e-4, "text_embeds");

            try (EmbeddingIndex index = EmbeddingIndex.of(fp16(images), p.dim(), m, TensorParallel.SERIAL)) {
                for (int t = 0; t < texts.length; t++) {
                    float[] refText = refTexts[t];
                    List<Integer> expected = IntStream.range(0, refImages.length).boxed()
                            .sorted(Comparator.comparingDouble((Integer i) -> -dot(refText, refImages[i]))).toList();
                    List<EmbeddingIndex.Hit> hits = index.search(texts[t], refImages.length);
                    assertEquals(expected, hits.stream().map(EmbeddingIndex.Hit::row).toList(), "ranking for text " + t);
                    for (EmbeddingIndex.Hit hit : hits) {
                        assertEquals(dot(refText, refImages[hit.row()]), hit.score(), 1e-3, "cosine text " + t);
                    }
                }
            }
        }
    }

    @Test
    void imageSearchFindsTheTextTheReferenceRanksFirst() {
        GoldenCase c = new GoldenCase(RetrievalFixtures.clipFull(), "clip_full");
        Path yaml = RetrievalFixtures.pipelineYaml(dir, c.dir(), "");
        try (NDManager m = root.newSubManager(); RetrievalPipeline p = load(yaml, m)) {
            float[][] images = p.embedPixels(c.tensor("pixel_values", m));
            float[][] texts = p.embedTokens(longRows(c.tensor("input_ids", m)), longRows(c.tensor("attention_mask", m)));
            int[] expected = c.json().getAsJsonArray("retrieval_argmax_text_per_image").asList().stream()
                    .mapToInt(e -> e.getAsInt()).toArray();
            try (EmbeddingIndex index = EmbeddingIndex.of(fp16(texts), p.dim(), m, TensorParallel.SERIAL)) {
                int[] best = IntStream.range(0, images.length).map(i -> index.search(images[i], 1).get(0).row()).toArray();
                assertArrayEquals(expected, best);
            }
        }
    }

    @Test
    void tokenIdsOutsideTheTextVocabularyAreRefused() {
        Path yaml = RetrievalFixtures.pipelineYaml(dir, RetrievalFixtures.clipFull(), "");
        try (NDManager m = root.newSubManager(); RetrievalPipeline p = load(yaml, m)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.embedTokens(new long[][] {{49406, 5, 49407}}, null));
            assertTrue(e.getMessage().contains("49406") && e.getMessage().contains("vocab_size"), e.getMessage());
        }
    }

    @Test
    void aProcessorThatDoesNotMakeTheEncodersSizeIsRejected() throws IOException {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "task: retrieval\ncheckpoint: " + RetrievalFixtures.clipFull().toAbsolutePath()
                + "\nencoder: {type: clip_vision}\ntext_encoder: {type: clip_text}\ntokenizer: {type: clip_bpe}\n");
        try (NDManager m = root.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(yaml, m));
            int size = RetrievalFixtures.imageSize(RetrievalFixtures.clipFull());
            assertTrue(e.getMessage().contains("224x224") && e.getMessage().contains(size + "x" + size)
                    && e.getMessage().contains("preprocessor_config.json"), e.getMessage());
            assertEquals(0, m.getManagedArrays().size(), "a failed load frees what it loaded");
        }
    }

    @Test
    void fingerprintIgnoresYamlLayoutButNotPreprocessing() {
        Path ckpt = RetrievalFixtures.clipFull();
        Path a = RetrievalFixtures.pipelineYaml(dir.resolve("a"), ckpt, "batch_size: 4\n");
        Path b = RetrievalFixtures.pipelineYaml(dir.resolve("b"), ckpt, "\n\n# same model, other layout\ntop_k: 3\n");
        Path c = RetrievalFixtures.pipelineYaml(dir.resolve("c"), ckpt, "").resolveSibling("pipeline.yaml");
        try (NDManager m = root.newSubManager()) {
            ModelFingerprint fa;
            try (RetrievalPipeline p = load(a, m)) {
                fa = p.fingerprint();
            }
            try (RetrievalPipeline p = load(b, m)) {
                assertEquals(fa, p.fingerprint());
            }
            try {
                Files.writeString(c, Files.readString(c).replace("type: hf_image_processor,",
                        "type: hf_image_processor, image_mean: [0.5, 0.5, 0.5],"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            try (RetrievalPipeline p = load(c, m)) {
                assertNotEquals(fa.hash(), p.fingerprint().hash());
                assertTrue(!fa.sameModel(p.fingerprint()));
            }
        }
    }

    @Test
    void fingerprintFollowsTheWeightsNotTheirFolder() throws IOException {
        Path copy = dir.resolve("moved");
        Path tuned = dir.resolve("tuned");
        for (Path target : List.of(copy, tuned)) {
            Files.createDirectories(target);
            Files.copy(RetrievalFixtures.clipFull().resolve("config.json"), target.resolve("config.json"));
            Files.copy(RetrievalFixtures.clipFull().resolve("model.safetensors"), target.resolve("model.safetensors"));
        }
        byte[] weights = Files.readAllBytes(tuned.resolve("model.safetensors"));
        weights[weights.length - 3] ^= 0x01; // the last bytes are tensor data
        Files.write(tuned.resolve("model.safetensors"), weights);
        try (NDManager m = root.newSubManager()) {
            ModelFingerprint original;
            try (RetrievalPipeline p = load(RetrievalFixtures.pipelineYaml(dir.resolve("y0"), RetrievalFixtures.clipFull(), ""), m)) {
                original = p.fingerprint();
            }
            try (RetrievalPipeline p = load(RetrievalFixtures.pipelineYaml(dir.resolve("y1"), copy, ""), m)) {
                assertTrue(original.sameModel(p.fingerprint()), "a moved checkpoint is the same model");
                assertNotEquals(original.checkpoint(), p.fingerprint().checkpoint());
            }
            try (RetrievalPipeline p = load(RetrievalFixtures.pipelineYaml(dir.resolve("y2"), tuned, ""), m)) {
                assertTrue(!original.sameModel(p.fingerprint()), "changed weights are another model");
            }
        }
    }

    static void assertArrayClose(float[][] expected, float[][] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int r = 0; r < expected.length; r++) {
            for (int i = 0; i < expected[r].length; i++) {
                assertEquals(expected[r][i], actual[r][i], tol + tol * Math.abs(expected[r][i]), what + "[" + r + "][" + i + "]");
            }
        }
    }

    @Test
    void tokenIdsAreCheckedAgainstAnyTextEncodersVocabulary() {
        ZeroTextEncoder plugin = new ZeroTextEncoder(4, java.util.OptionalInt.of(10));
        RetrievalPipeline.checkIds(plugin, new long[][] {{0, 9}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalPipeline.checkIds(plugin, new long[][] {{0, 10}}));
        assertTrue(e.getMessage().contains("vocab_size 10"), e.getMessage());
        RetrievalPipeline.checkIds(new ZeroTextEncoder(4, java.util.OptionalInt.empty()), new long[][] {{0, 1000}});
        assertThrows(IllegalArgumentException.class,
                () -> RetrievalPipeline.checkIds(plugin, new long[][] {{0, 1, 2, 3, 4}}), "longer than max positions");
    }
}
