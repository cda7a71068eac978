package org.mix4j.pipelines.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.LanguageModel;
import org.mix4j.config.JsonConfig;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyModels;
import org.mix4j.llm.tokenizer.HfTokenizer;
import org.mix4j.llm.tokenizer.HfTokenizerConfig;
import org.mix4j.llm.tokenizer.HfTokenizerFactory;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;
import org.mix4j.pipelines.task.DecodingSettings;

/** Generation on a tiny random model: greedy parity, batching, sampling, stops, memory. */
class DecodingLoopTest {

    private static final long[] PROMPT = {12, 200, 31, 7};

    @TempDir
    Path dir;

    private NDManager manager;
    private LanguageModel model;

    @BeforeEach
    void open() throws Exception {
        manager = NDManager.newBaseManager();
        model = TinyModels.load(TinyModels.LLAMA_GQA, dir, 11, manager);
    }

    @AfterEach
    void close() {
        model.close();
        manager.close();
    }

    private static DecodingSettings greedy(int maxNew, List<Long> eos, List<String> stop) {
        return new DecodingSettings(maxNew, 0, 0, 1.0, 1.0, 0, eos, stop, null);
    }

    private static DecodingSettings sampled(long seed) {
        return new DecodingSettings(10, 1.0, 50, 0.95, 1.0, seed, List.of(), List.of(), true);
    }

    /** Reference: argmax over a full forward of the whole sequence, every step, no cache. */
    private long[] argmaxLoop(long[] prompt, int steps) {
        List<Long> seq = new ArrayList<>();
        Arrays.stream(prompt).forEach(seq::add);
        for (int i = 0; i < steps; i++) {
            try (NDManager step = manager.newSubManager()) {
                long[] ids = seq.stream().mapToLong(Long::longValue).toArray();
                NDArray pos = step.arange(0, ids.length).toType(DataType.INT64, false).reshape(1, ids.length);
                NDArray logits = model.forward(model.embed(step.create(ids, new Shape(1, ids.length))), pos, null, null)
                        .logits();
                seq.add(logits.get(new NDIndex("0, -1, :")).argMax().getLong());
            }
        }
        return seq.subList(prompt.length, seq.size()).stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void greedyWithCacheEqualsNoCacheArgmaxLoop() {
        DecodeResult r = new DecodingLoop(model, null, manager).generate(List.of(PROMPT), greedy(12, List.of(), List.of()),
                null);
        assertArrayEquals(argmaxLoop(PROMPT, 12), r.tokens().get(0));
        assertEquals(FinishReason.LENGTH, r.finishReasons().get(0));
    }

    @Test
    void batchedLeftPaddedGenerationEqualsOneByOne() {
        long[] shortPrompt = {99, 3};
        long[] longPrompt = {5, 6, 7, 8, 9, 10, 11};
        DecodingLoop g = new DecodingLoop(model, null, manager);
        DecodeResult batch = g.generate(List.of(shortPrompt, longPrompt), greedy(8, List.of(), List.of()), null);
        assertArrayEquals(g.generate(List.of(shortPrompt), greedy(8, List.of(), List.of()), null).tokens().get(0),
                batch.tokens().get(0));
        assertArrayEquals(g.generate(List.of(longPrompt), greedy(8, List.of(), List.of()), null).tokens().get(0),
                batch.tokens().get(1));
    }

    @Test
    void stopTokenEndsTheRowAndIsKept() {
        long[] free = argmaxLoop(PROMPT, 6);
        long stop = free[3];
        int first = 0;
        while (free[first] != stop) {
            first++;
        }
        DecodeResult r = new DecodingLoop(model, null, manager).generate(List.of(PROMPT), greedy(6, List.of(stop),
                List.of()), null);
        assertArrayEquals(Arrays.copyOf(free, first + 1), r.tokens().get(0));
        assertEquals(FinishReason.STOP_TOKEN, r.finishReasons().get(0));
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        DecodingLoop g = new DecodingLoop(model, null, manager);
        long[] a = g.generate(List.of(PROMPT), sampled(1), null).tokens().get(0);
        long[] b = g.generate(List.of(PROMPT), sampled(1), null).tokens().get(0);
        long[] c = g.generate(List.of(PROMPT), sampled(2), null).tokens().get(0);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed drew the same 10 tokens");
    }

    @Test
    void stopStringCutsTheTextAndStreamingAddsUpToIt() throws Exception {
        Path tok = TestData.resource("tiny-chat");
        try (HfTokenizer tokenizer = HfTokenizerFactory.load(tok, new HfTokenizerConfig("tokenizer.json", null, null,
                null, "default"), JsonConfig.read(tok.resolve("tokenizer_config.json")))) {
            DecodingLoop g = new DecodingLoop(model, tokenizer, manager);
            String free = g.generate(List.of(PROMPT), greedy(16, List.of(), List.of()), null).texts().get(0);
            int cut = -1;
            for (int i = 1; i < free.length() && cut < 0; i++) {
                char ch = free.charAt(i);
                if (ch != '\uFFFD' && !Character.isSurrogate(ch) && free.indexOf(ch) == i) {
                    cut = i;
                }
            }
            assertTrue(cut > 0, "the free-running text has no usable stop character: " + free);
            String stop = String.valueOf(free.charAt(cut));
            StringBuilder streamed = new StringBuilder();
            DecodeResult r = g.generate(List.of(PROMPT), greedy(16, List.of(), List.of(stop)),
                    (row, text) -> streamed.append(text));
            assertEquals(free.substring(0, cut), r.texts().get(0));
            assertEquals(FinishReason.STOP_STRING, r.finishReasons().get(0));
            assertEquals(r.texts().get(0), streamed.toString());
        }
    }

    @Test
    void aCancelledGenerationEndsAtTheNextTokenAndFreesItsArrays() {
        int before = manager.getManagedArrays().size();
        int[] polls = {0};
        DecodeResult r = new DecodingLoop(model, null, manager).generate(List.of(PROMPT), greedy(50, List.of(), List.of()),
                null, () -> ++polls[0] > 3);
        assertEquals(FinishReason.CANCELLED, r.finishReasons().get(0));
        assertEquals(4, r.tokens().get(0).length, "polled after each token: cancelled when the fourth is chosen");
        long[] full = new DecodingLoop(model, null, manager).generate(List.of(PROMPT), greedy(50, List.of(), List.of()), null)
                .tokens().get(0);
        assertArrayEquals(java.util.Arrays.copyOf(full, 4), r.tokens().get(0), "the tokens before the cancel are the same");
        assertEquals(before, manager.getManagedArrays().size());
    }

    @Test
    void nativeMemoryDoesNotGrowWithSteps() {
        List<Integer> counts = new ArrayList<>();
        int before = manager.getManagedArrays().size();
        DecodingSettings settings = new DecodingSettings(200, 1.0, 0, 1.0, 1.2, 3, List.of(), List.of(), true);
        // counts every array under the generator's manager as each forward pass starts
        LanguageModel counting = new CountingModel(model, () -> counts.add(manager.getManagedArrays().size()));
        DecodeResult r = new DecodingLoop(counting, null, manager).generate(List.of(PROMPT), settings, null);
        assertEquals(200, r.tokens().get(0).length);
        assertEquals(200, counts.size(), "one prefill and 199 decode steps");
        assertEquals(counts.get(10), counts.get(190), "arrays held at step 10 vs step 190");
        assertEquals(before, manager.getManagedArrays().size(), "arrays left after generation");
    }

    @Test
    void concurrentGenerationsOnOneModelMatchSequentialOnes() throws Exception {
        // what TextPipeline and UnderstandingPipeline claim: each call has its own cache and sampler
        int calls = 6;
        List<long[]> sequential = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sequential.add(new DecodingLoop(model, null, manager).generate(List.of(PROMPT), sampled(i), null)
                    .tokens().get(0));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<long[]>> concurrent = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                long seed = i;
                concurrent.add(pool.submit(() -> new DecodingLoop(model, null, manager)
                        .generate(List.of(PROMPT), sampled(seed), null).tokens().get(0)));
            }
            for (int i = 0; i < calls; i++) {
                assertArrayEquals(sequential.get(i), concurrent.get(i).get(), "call " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theLargestMaxNewTokensIsCappedToTheContextLikeAnyOther() {
        DecodingLoop g = new DecodingLoop(model, null, manager);
        long[] prompt = new long[model.maxPositions() - 6]; // 6 positions left
        Arrays.setAll(prompt, i -> 1 + i % 250);
        DecodeResult huge = g.generate(List.of(prompt), greedy(Integer.MAX_VALUE, List.of(), List.of()), null);
        DecodeResult exact = g.generate(List.of(prompt), greedy(6, List.of(), List.of()), null);
        assertEquals(6, huge.tokens().get(0).length);
        assertArrayEquals(exact.tokens().get(0), huge.tokens().get(0));
        assertEquals(FinishReason.LENGTH, huge.finishReasons().get(0));
    }

    @Test
    void rejectsStopIdsOutsideTheVocabularyNamingItsSize() {
        DecodingLoop g = new DecodingLoop(model, null, manager);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.generate(List.of(PROMPT), greedy(4, List.of(2L, 272L), List.of()), null));
        assertEquals("eos_token_id 272 is outside the model's vocabulary of 272 tokens (ids 0 to 271)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> greedy(4, List.of(-1L), List.of()));
    }

    @Test
    void nonFiniteLogitsAreReportedWithTheirStep() {
        // weights with a NaN: the sampler saw no maximum and the answer came out empty, silently
        int[] calls = {0};
        LanguageModel nanAtThirdPass = new PoisonedModel(model, calls, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new DecodingLoop(nanAtThirdPass,
                null, manager).generate(List.of(PROMPT), greedy(8, List.of(), List.of()), null));
        assertEquals("the model produced NaN logits at step 2 (token id 0); its weights or inputs contain non-finite "
                + "values", e.getMessage());
    }

    /** The real model whose logits turn to NaN from forward pass {@code from} (0: the prefill) on. */
    private record PoisonedModel(LanguageModel model, int[] calls, int from) implements LanguageModel {

        @Override
        public NDArray embed(NDArray inputIds) {
            return model.embed(inputIds);
        }

        @Override
        public org.mix4j.api.LmOutput forward(NDArray embeds, NDArray positions, NDArray mask,
                org.mix4j.api.KvCache cache) {
            org.mix4j.api.LmOutput out = model.forward(embeds, positions, mask, cache);
            return calls[0]++ < from ? out : new org.mix4j.api.LmOutput(out.logits().mul(Float.NaN), out.hiddenStates());
        }

        @Override
        public org.mix4j.api.KvCache newCache(NDManager m, int batch, int capacity) {
            return model.newCache(m, batch, capacity);
        }

        @Override
        public int hiddenSize() {
            return model.hiddenSize();
        }

        @Override
        public int vocabSize() {
            return model.vocabSize();
        }

        @Override
        public int maxPositions() {
            return model.maxPositions();
        }

        @Override
        public void close() {
            // the test closes the real model
        }
    }

    /** The real model, with a hook run as each forward pass starts. */
    private record CountingModel(LanguageModel model, Runnable hook) implements LanguageModel {

        @Override
        public NDArray embed(NDArray inputIds) {
            return model.embed(inputIds);
        }

        @Override
        public org.mix4j.api.LmOutput forward(NDArray embeds, NDArray positions, NDArray mask,
                org.mix4j.api.KvCache cache) {
            hook.run();
            return model.forward(embeds, positions, mask, cache);
        }

        @Override
        public org.mix4j.api.KvCache newCache(NDManager m, int batch, int capacity) {
            return model.newCache(m, batch, capacity);
        }

        @Override
        public int hiddenSize() {
            return model.hiddenSize();
        }

        @Override
        public int vocabSize() {
            return model.vocabSize();
        }

        @Override
        public int maxPositions() {
            return 512;
        }

        @Override
        public void close() {
            // the test closes the real model
        }
    }
}
