package org.mix4j.pipelines.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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

/** Continuous batching on a tiny random model: every sequence decodes exactly as it would alone. */
class DecodeSchedulerTest {

    @TempDir
    Path dir;

    private NDManager manager;
    private LanguageModel model;
    private HfTokenizer tokenizer;

    @BeforeEach
    void open() throws Exception {
        manager = NDManager.newBaseManager();
        model = TinyModels.load(TinyModels.LLAMA_GQA, dir, 11, manager);
        Path tok = TestData.resource("tiny-chat");
        tokenizer = HfTokenizerFactory.load(tok, new HfTokenizerConfig("tokenizer.json", null, null, null, "default"),
                JsonConfig.read(tok.resolve("tokenizer_config.json")));
    }

    @AfterEach
    void close() {
        tokenizer.close();
        model.close();
        manager.close();
    }

    private record Request(long[] prompt, DecodingSettings settings) {}

    private static DecodingSettings settings(int maxNew, double temperature, long seed, List<Long> eos,
            List<String> stop) {
        return new DecodingSettings(maxNew, temperature, temperature > 0 ? 20 : 0, temperature > 0 ? 0.9 : 1.0, 1.0,
                seed, eos, stop, temperature > 0);
    }

    /** Prompts of 1 to 9 tokens, greedy and seeded, stop ids and stop strings, 3 to 20 new tokens. */
    private List<Request> requests(int n) {
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] prompt = new long[1 + (i * 5) % 9];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = 3 + (i * 31 + j * 17) % 260;
            }
            double temperature = i % 3 == 2 ? 0.8 : 0;
            List<Long> eos = i % 4 == 1 ? List.of(7L, 100L) : List.of();
            List<String> stop = i % 5 == 3 ? List.of("e") : List.of();
            out.add(new Request(prompt, settings(3 + (i * 7) % 18, temperature, i, eos, stop)));
        }
        return out;
    }

    private List<DecodeResult> alone(List<Request> requests) {
        DecodingLoop loop = new DecodingLoop(model, tokenizer, manager);
        return requests.stream().map(r -> loop.generate(List.of(r.prompt()), r.settings(), null)).toList();
    }

    private static void assertSame(DecodeResult expected, DecodeResult actual, String what) {
        assertArrayEquals(expected.tokens().get(0), actual.tokens().get(0), what + " tokens");
        assertEquals(expected.texts(), actual.texts(), what + " text");
        assertEquals(expected.finishReasons(), actual.finishReasons(), what + " finish reason");
        assertEquals(expected.promptTokens(), actual.promptTokens(), what + " prompt tokens");
    }

    @Test
    void concurrentSequencesJoiningMidDecodeGiveWhatEachGivesAlone() throws Exception {
        List<Request> requests = requests(14);
        List<DecodeResult> expected = alone(requests);
        int before = manager.getManagedArrays().size();
        // 3 rows for 14 callers on 5 threads: sequences wait, join between steps and leave; a context
        // of 32 positions makes the shared column axis fill up and drop its front many times
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, tokenizer, manager, 3, 32)) {
            List<Future<DecodeResult>> answers = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (Request r : requests) {
                StringBuilder text = new StringBuilder();
                streamed.add(text);
                answers.add(pool.submit(() -> scheduler.generate(r.prompt(), r.settings(),
                        (row, piece) -> text.append(piece), () -> false)));
                Thread.sleep(3);
            }
            for (int i = 0; i < requests.size(); i++) {
                DecodeResult actual = answers.get(i).get();
                assertSame(expected.get(i), actual, "request " + i);
                assertEquals(actual.texts().get(0), streamed.get(i).toString(), "request " + i + " streamed");
            }
            DecodeScheduler.Stats stats = scheduler.stats();
            System.out.println("scheduler: " + stats);
            assertTrue(stats.rowSteps() > stats.steps(), "some steps decoded several rows: " + stats);
            assertTrue(stats.drops() > 0, "the column axis filled up and dropped its front: " + stats);
            assertTrue(stats.moves() > 0, "rows moved down into rows freed below them: " + stats);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(before, manager.getManagedArrays().size(), "arrays left after the scheduler closed");
    }

    @Test
    void aCancelledSequenceLeavesItsRowAndTheOthersFinish() throws Exception {
        List<Request> requests = requests(4);
        DecodingSettings longRun = settings(60, 0, 0, List.of(), List.of());
        long[] prompt = {12, 200, 31, 7};
        long[] full = new DecodingLoop(model, tokenizer, manager).generate(List.of(prompt), longRun, null).tokens().get(0);
        List<DecodeResult> expected = alone(requests);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, tokenizer, manager, 4, 96)) {
            AtomicInteger pieces = new AtomicInteger();
            Future<DecodeResult> cancelled = pool.submit(() -> scheduler.generate(prompt, longRun, null,
                    () -> pieces.incrementAndGet() > 3));
            List<Future<DecodeResult>> others = new ArrayList<>();
            for (Request r : requests) {
                others.add(pool.submit(() -> scheduler.generate(r.prompt(), r.settings(), null, () -> false)));
            }
            DecodeResult c = cancelled.get();
            assertEquals(FinishReason.CANCELLED, c.finishReasons().get(0));
            long[] tokens = c.tokens().get(0);
            assertTrue(tokens.length < full.length, "cancelled after " + tokens.length + " of " + full.length);
            assertArrayEquals(Arrays.copyOf(full, tokens.length), tokens, "the tokens before the cancel");
            for (int i = 0; i < requests.size(); i++) {
                assertSame(expected.get(i), others.get(i).get(), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSlidingWindowModelBatchesAsItDecodesAlone() throws Exception {
        // within a row, columns are consecutive positions (left padding only in front), so a
        // window counted in columns is the window in positions
        try (LanguageModel mistral = TinyModels.load(TinyModels.MISTRAL_WINDOW, java.nio.file.Files.createDirectories(dir.resolve("mistral")), 7,
                manager)) {
            List<Request> requests = requests(8);
            DecodingLoop loop = new DecodingLoop(mistral, tokenizer, manager);
            List<DecodeResult> expected = requests.stream()
                    .map(r -> loop.generate(List.of(r.prompt()), r.settings(), null)).toList();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (DecodeScheduler scheduler = new DecodeScheduler(mistral, tokenizer, manager, 3, 32)) {
                List<Future<DecodeResult>> answers = new ArrayList<>();
                for (Request r : requests) {
                    answers.add(pool.submit(() -> scheduler.generate(r.prompt(), r.settings(), null, () -> false)));
                }
                for (int i = 0; i < requests.size(); i++) {
                    assertSame(expected.get(i), answers.get(i).get(), "request " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void anIdleSchedulerHoldsNoArrays() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, tokenizer, manager, 2, 64)) {
            int before = manager.getManagedArrays().size();
            for (Request r : requests(5)) {
                scheduler.generate(r.prompt(), r.settings(), null, () -> false);
            }
            assertEquals(before, manager.getManagedArrays().size(), "arrays held between requests");
        }
    }

    @Test
    void aPromptThatDoesNotFitTheBatchedCacheIsDecodedAlone() {
        DecodingSettings s = settings(40, 0, 0, List.of(), List.of());
        long[] prompt = {12, 200, 31, 7};
        DecodeResult expected = new DecodingLoop(model, tokenizer, manager).generate(List.of(prompt), s, null);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, tokenizer, manager, 2, 16)) {
            assertSame(expected, scheduler.generate(prompt, s, null, () -> false), "44 positions in a context of 16");
        }
    }
}
