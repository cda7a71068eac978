package org.mix4j.pipelines.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.mix4j.MixRuntime;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.registry.MixSettings;
import org.mix4j.tensor.NativeMemory;

/**
 * 500 greedy decode steps (and ten 24-token prefills, the block-wise path) of an int8 and of an
 * fp16 Qwen2-type decoder leave the C allocator's bytes in use where they were (glibc's {@code mallinfo2}; the
 * resident size outside the heap moved by -80 to +50 MiB between runs with the heap's touched pages):
 * a step's arrays (64 KiB of logits alone) would add up to 32 MiB if any leaked. Measured -14 to
 * +0.4 MiB with the least of five readings, also with two busy loops on the 2 cores. Since decode
 * steps run in Java ({@code JavaDecodeStep}) the warm-up is five generations: with one, the JIT's
 * compilations fell inside the measured runs next to a training and read +13 to +18 MiB, for the
 * engine path as well; 30 and 60 measured runs read +1.1 and -0.3 MiB, so it was no leak. With five
 * the first format of a JVM still read +3.5 to +5.9 MiB, and once +22 MiB in a CI run, while the
 * second read +0.03: so two windows are measured and the smaller growth is asserted (a leak grows both).
 */
class Int8DecodeMemoryTest {

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"int8", "fp16"})
    void fiveHundredJavaDecodeStepsDoNotGrowNativeMemory(String quantize) throws IOException {
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("vocab_size", 16384);
        section.put("hidden_size", 256);
        section.put("intermediate_size", 512);
        section.put("num_hidden_layers", 2);
        section.put("num_attention_heads", 4);
        section.put("num_key_value_heads", 2);
        section.put("max_position_embeddings", 1024);
        section.put("tie_word_embeddings", true);
        section.put("init", "random");
        section.put("seed", 3);
        section.put("quantize", quantize);
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                NDManager m = NDManager.newBaseManager();
                LanguageModel model = runtime.get(ComponentLoader.class).load("qwen2", Role.LANGUAGE_MODEL, null, section,
                        m, DataType.FLOAT32)) {
            DecodingLoop loop = new DecodingLoop(model, null, m);
            long[] prompt = new long[24];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 1 + 677L * i % 16000;
            }
            DecodingSettings settings = new DecodingSettings(50, 0, 0, 1.0, 1.0, 0, List.of(), List.of(), null);
            long[] first = loop.generate(List.of(prompt), settings, null).tokens().get(0);
            for (int i = 0; i < 5; i++) { // warm-up: pools, allocator, and the JIT compiling the Java decode step
                loop.generate(List.of(prompt), settings, null);
            }
            // Two windows of 490+ steps each: a leak grows the allocator's bytes in both, while what a JVM
            // allocates once (the JIT compiling the kernels, the first C2 arenas: a few MiB, once 22 MiB in
            // a CI run) lands in one of them. The smaller growth is asserted.
            long[] grownKib = new long[2];
            long[] mallocKib = new long[2];
            int steps = 0;
            for (int w = 0; w < 2; w++) {
                long before = outsideHeapKib();
                OptionalLong mallocBefore = inUse();
                for (int i = 0; i < 10; i++) {
                    DecodeResult r = loop.generate(List.of(prompt), settings, null);
                    steps += r.decodeSteps();
                    assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(r.tokens().get(0)), "run " + i);
                }
                grownKib[w] = outsideHeapKib() - before;
                OptionalLong mallocAfter = inUse();
                mallocKib[w] = mallocAfter.isPresent() && mallocBefore.isPresent()
                        ? (mallocAfter.getAsLong() - mallocBefore.getAsLong()) / 1024 : Long.MIN_VALUE;
            }
            System.out.printf("%s decode: 2 x %d steps, resident outside the Java heap %+d / %+d KiB, malloc'd bytes in use %+d / %+d KiB%n",
                    quantize, steps / 2, grownKib[0], grownKib[1], mallocKib[0], mallocKib[1]);
            assertTrue(steps >= 980, "decode steps " + steps);
            if (mallocKib[0] != Long.MIN_VALUE) { // what a leaked tensor or buffer grows; the resident size also moves with the heap's touched pages
                long kib = Math.min(mallocKib[0], mallocKib[1]);
                assertTrue(kib < 16 * 1024, "native allocations in use grew by " + mallocKib[0] + " and " + mallocKib[1] + " KiB");
            } else { // no glibc: the resident size outside the committed heap
                long kib = Math.min(grownKib[0], grownKib[1]);
                assertTrue(kib < 16 * 1024, "memory outside the Java heap grew by " + grownKib[0] + " and " + grownKib[1] + " KiB");
            }
        }
    }

    /**
     * The C allocator's bytes in use after collections, the least of five readings 100 ms apart. A
     * collection only queues the direct buffers nothing refers to (the prefill's 4 MiB blocks); the
     * JDK's cleaner thread frees them later, and on a loaded machine (a CI run next to a training)
     * one reading right after {@code System.gc()} found 19 MiB of them not yet freed. A leak keeps
     * every reading high.
     */
    static OptionalLong inUse() {
        OptionalLong least = OptionalLong.empty();
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            OptionalLong now = NativeMemory.mallocBytesInUse();
            if (now.isEmpty()) {
                return now;
            }
            least = least.isEmpty() || now.getAsLong() < least.getAsLong() ? now : least;
        }
        return least;
    }

    /** Resident KiB minus the Java heap's committed KiB, after a collection. */
    static long outsideHeapKib() throws IOException {
        System.gc();
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) - heap;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
