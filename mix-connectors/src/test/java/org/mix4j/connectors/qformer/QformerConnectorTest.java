package org.mix4j.connectors.qformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.connectors.ConnectorTestSupport;
import org.mix4j.connectors.RawTensors;
import org.mix4j.connectors.RawTensors.Tensor;
import org.mix4j.connectors.Reference;
import org.mix4j.weights.CheckpointException;

/**
 * The Q-Former as the connector of a full BLIP-2 checkpoint: the {@code blip2_qformer} fixture's
 * weights under {@code qformer.}, its (row-identical) query embeddings stored as the learned
 * {@code query_tokens}, and a {@code language_projection}, with a Blip2Config-shaped config.json.
 * {@code project} must then give the fixture's reference {@code last_hidden_state}, projected.
 */
class QformerConnectorTest extends ConnectorTestSupport {

    @TempDir
    static Path tmp;

    private static Path blip2Checkpoint(int projection) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "blip2");
        Map<String, Tensor> qformer = RawTensors.read(fixture("blip2_qformer").resolve("model.safetensors"));
        Map<String, Tensor> io = RawTensors.read(fixture("blip2_qformer").resolve("io.safetensors"));
        Tensor queries = io.get("query_embeds"); // [B, Q, H], the same for every row
        int q = queries.dim(1);
        int hidden = queries.dim(2);
        double[] firstRow = java.util.Arrays.copyOf(queries.values(), q * hidden);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("query_tokens", new Tensor(new long[] {1, q, hidden}, firstRow));
        qformer.forEach((name, t) -> tensors.put("qformer." + name, t));
        tensors.put("language_projection.weight", random(new long[] {projection, hidden}, 5));
        tensors.put("language_projection.bias", random(new long[] {projection}, 6));
        RawTensors.write(dir.resolve("model.safetensors"), tensors);

        JsonObject qformerConfig = org.mix4j.config.JsonConfig.read(fixture("blip2_qformer").resolve("config.json"));
        qformerConfig.addProperty("encoder_hidden_size", 999); // Blip2Config replaces it with vision_config's width
        JsonObject vision = new JsonObject();
        vision.addProperty("hidden_size", io.get("encoder_hidden_states").dim(2));
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", projection);
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "blip-2");
        config.addProperty("num_query_tokens", q);
        config.add("qformer_config", qformerConfig);
        config.add("vision_config", vision);
        config.add("text_config", text);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    @Test
    void fullBlip2CheckpointProjectsLearnedQueriesToTheLanguageModel() throws Exception {
        int projection = 20;
        Path dir = blip2Checkpoint(projection);
        Map<String, Tensor> io = RawTensors.read(fixture("blip2_qformer").resolve("io.safetensors"));
        Map<String, Tensor> weights = RawTensors.read(dir.resolve("model.safetensors"));
        Tensor expectedHidden = io.get("last_hidden_state"); // [B, Q, H] from transformers
        int batch = expectedHidden.dim(0);
        int q = expectedHidden.dim(1);
        double[][] expected = Reference.linear(
                Reference.rows(expectedHidden.values(), batch * q, expectedHidden.dim(2)),
                weights.get("language_projection.weight"), weights.get("language_projection.bias"));

        try (Connector connector = load("qformer", dir, Map.of())) {
            assertEquals(q, connector.outputTokens(new TokenGrid(4, 4, 1)));
            assertEquals(q, connector.outputTokens(new TokenGrid(16, 16, 0)));
            assertEquals(projection, connector.outputSize());
            Tensor features = io.get("encoder_hidden_states");
            Tensor mask = io.get("encoder_attention_mask");
            NDArray x = manager.create(toFloat(features.values()), new Shape(features.shape()));
            NDArray m = manager.create(toFloat(mask.values()), new Shape(mask.shape()));
            NDArray out = connector.project(x, m, new TokenGrid(1, features.dim(1), 0));
            assertEquals(new Shape(batch, q, projection), out.getShape());
            double err = Reference.maxAbsDiff(expected, out.toFloatArray());
            assertTrue(err < 1e-4, "max |err| " + err);
        }
    }

    @Test
    void bareQformerWithoutQueryTokensFailsNamingThem() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> load("qformer", fixture("blip2_qformer"), Map.of()));
        assertTrue(e.getMessage().contains("query_tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("init: random"), e.getMessage());
    }

    @Test
    void bareQformerLoadedForExplicitQueriesCannotProject() {
        try (Connector connector = load("qformer", fixture("blip2_qformer"), Map.of("learned_queries", false))) {
            assertEquals(32, connector.outputSize()); // hidden_size, no language projection
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> connector.project(manager.ones(new Shape(1, 3, 24)), null, new TokenGrid(1, 3, 0)));
            assertTrue(e.getMessage().contains("learned_queries"), e.getMessage());
        }
    }

    @Test
    void yamlSizesOverrideTheCheckpointConfigWithRandomInit() {
        Map<String, Object> overrides = Map.of("init", "random", "seed", 3, "num_query_tokens", 5,
                "language_projection", true, "projection_size", 12, "num_hidden_layers", 3);
        try (Connector connector = load("qformer", fixture("blip2_qformer"), overrides)) {
            assertEquals(5, connector.outputTokens(new TokenGrid(2, 2, 0)));
            assertEquals(12, connector.outputSize());
            NDArray out = connector.project(manager.ones(new Shape(2, 7, 24)), null, new TokenGrid(1, 7, 0));
            assertEquals(new Shape(2, 5, 12), out.getShape()); // encoder_hidden_size 24 from config.json
        }
    }

    @Test
    void maskedImageTokensDoNotChangeTheOutput() {
        Map<String, Object> yaml = Map.of("init", "random", "seed", 1, "hidden_size", 16, "num_hidden_layers", 2,
                "num_attention_heads", 2, "intermediate_size", 32, "encoder_hidden_size", 8, "num_query_tokens", 4);
        try (Connector connector = load("qformer", null, yaml)) {
            float[] values = new float[2 * 6 * 8];
            Random random = new Random(2);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            NDArray features = manager.create(values, new Shape(2, 6, 8));
            NDArray mask = manager.create(new float[] {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            NDArray changed = features.duplicate();
            changed.set(new ai.djl.ndarray.index.NDIndex("0, 4:, :"), 100f);
            TokenGrid grid = new TokenGrid(2, 3, 0);
            float[] a = connector.project(features, mask, grid).toFloatArray();
            float[] b = connector.project(changed, mask, grid).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, 1e-6f);
        }
    }

    private static float[] toFloat(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    private static Tensor random(long[] shape, long seed) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 0.2);
        }
        return new Tensor(shape, v);
    }
}
