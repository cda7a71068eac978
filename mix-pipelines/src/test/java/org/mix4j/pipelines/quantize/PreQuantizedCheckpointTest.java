package org.mix4j.pipelines.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.MixRuntime;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.GoldenCase;
import org.mix4j.llm.quantize.QuantizedCheckpoint;
import org.mix4j.pipelines.text.CausalLmCaseRunner;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.SafeTensorsFile;
import org.mix4j.weights.SafeTensorsWriter;
import org.mix4j.weights.TensorInfo;

/**
 * {@code mix quantize}'s checkpoints ({@link QuantizedCheckpoint}) on the golden LLaMA and Qwen2
 * (tied embeddings): loaded through the normal loading path with no {@code quantize:}, they give
 * exactly the logits and greedy ids of the fp32 checkpoint quantized at load, and stay within the
 * int8 bar of transformers' reference; bad folders and partly quantized projections are refused.
 */
class PreQuantizedCheckpointTest {

    private static MixRuntime runtime;
    private static NDManager manager;

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

    private static Path golden(String name) {
        return Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve(name);
    }

    /** The golden case with its model written pre-quantized (the case's inputs and outputs copied alongside). */
    private static Path preQuantized(String name, Path tmp) throws IOException {
        Path dir = tmp.resolve(name);
        QuantizedCheckpoint.Report r = QuantizedCheckpoint.write(golden(name), dir);
        assertTrue(r.quantized() > 0 && r.writtenBytes() < r.sourceBytes(), name + ": " + r);
        Files.copy(golden(name).resolve("io.safetensors"), dir.resolve("io.safetensors"));
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_causal_lm", "qwen2_causal_lm"})
    void aPreQuantizedCheckpointRunsExactlyAsQuantizingAtLoad(String name, @TempDir Path tmp) throws Exception {
        Path dir = preQuantized(name, tmp);
        ComponentLoader loader = runtime.get(ComponentLoader.class);
        GoldenCase original = new GoldenCase(golden(name), name);
        GoldenCase stored = new GoldenCase(dir, name);
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> atLoad = new CausalLmCaseRunner(loader, "int8").run(original, m);
            Map<String, NDArray> fromFile = new CausalLmCaseRunner(loader, "none").run(stored, m); // no quantize: key
            float[] a = atLoad.get("logits").toFloatArray();
            float[] b = fromFile.get("logits").toFloatArray();
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5f * (1 + Math.abs(a[i])), name + ": logit " + i);
            }
            assertArrayEquals(atLoad.get("generated_ids").toLongArray(), fromFile.get("generated_ids").toLongArray());
            double worst = QuantizedGoldenTest.worstCosine(fromFile.get("logits"), original.tensor("logits", m),
                    original.tensor("attention_mask", m));
            assertTrue(worst >= 0.999, name + ": worst cosine against transformers " + worst);
        }
    }

    @Test
    void theFileHoldsInt8ValuesAndRowScalesAndIsAQuarterOfTheSize(@TempDir Path tmp) throws IOException {
        Path dir = preQuantized("qwen2_causal_lm", tmp);
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("model.safetensors"))) {
            TensorInfo q = f.tensors().get("model.layers.0.self_attn.q_proj.weight");
            TensorInfo s = f.tensors().get("model.layers.0.self_attn.q_proj.weight_scale");
            assertEquals(DataType.INT8, q.dataType());
            assertEquals(DataType.FLOAT32, s.dataType());
            assertEquals(q.shape().get(0), s.shape().get(0));
            assertEquals(DataType.INT8, f.tensors().get("model.embed_tokens.weight").dataType());
            assertEquals(DataType.FLOAT32, f.tensors().get("model.norm.weight").dataType(), "norms stay floating point");
            assertFalse(f.tensors().containsKey("model.norm.weight_scale"));
        }
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        assertTrue(Files.size(dir.resolve("model.safetensors")) < Files.size(golden("qwen2_causal_lm").resolve("model.safetensors")) / 2);
    }

    @Test
    void nothingIsOverwrittenAndOtherModelsOrQuantizedSourcesAreRefused(@TempDir Path tmp) throws IOException {
        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("notes.txt"), "mine");
        IOException busy = assertThrows(IOException.class, () -> QuantizedCheckpoint.write(golden("llama_causal_lm"), taken));
        assertTrue(busy.getMessage().contains("not an empty folder"), busy.getMessage());
        assertEquals("mine", Files.readString(taken.resolve("notes.txt")));

        Path clip = Files.createDirectories(tmp.resolve("clip"));
        Files.writeString(clip.resolve("config.json"), "{\"model_type\": \"clip\"}");
        RuntimeException other = assertThrows(RuntimeException.class, () -> QuantizedCheckpoint.write(clip, tmp.resolve("o")));
        assertTrue(other.getMessage().contains("model_type 'clip'") && other.getMessage().contains("qwen2"), other.getMessage());

        Path once = preQuantized("llama_causal_lm", tmp);
        RuntimeException twice = assertThrows(RuntimeException.class, () -> QuantizedCheckpoint.write(once, tmp.resolve("twice")));
        assertTrue(twice.getMessage().contains("pre-quantized already"), twice.getMessage());
    }

    @Test
    void aFusedProjectionWithOnlySomePartsQuantizedIsRefusedNamingThem(@TempDir Path tmp) throws IOException {
        Path dir = preQuantized("llama_causal_lm", tmp);
        Path file = dir.resolve("model.safetensors");
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (SafeTensorsFile f = SafeTensorsFile.open(file); NDManager m = manager.newSubManager()) {
            for (String t : f.tensors().keySet()) {
                if (!t.equals("model.layers.0.self_attn.k_proj.weight_scale")) {
                    writer.put(t, f.read(t, m));
                }
            }
            writer.write(dir.resolve("broken.safetensors"));
        }
        Files.move(dir.resolve("broken.safetensors"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ComponentLoader loader = runtime.get(ComponentLoader.class);
        try (NDManager m = manager.newSubManager()) {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> new CausalLmCaseRunner(loader, "none").run(new GoldenCase(dir, "llama_causal_lm"), m));
            assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj+") && e.getMessage().contains("only 2 of 3"),
                    e.getMessage());
        }
    }
}
