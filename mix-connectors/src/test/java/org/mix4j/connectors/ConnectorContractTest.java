package org.mix4j.connectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.weights.CheckpointException;

/** What every connector type promises, each with a tiny YAML-only configuration. */
class ConnectorContractTest extends ConnectorTestSupport {

    /**
     * type, YAML sizes, input width, expected output tokens and width for a 2x3+1 grid, and tensors
     * among the first the loader reports missing (it names up to 20).
     */
    record Case(String type, Map<String, Object> yaml, int inputWidth, int tokens, int width, List<String> missing) {
        @Override
        public String toString() {
            return type;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("mlp", Map.of("in_features", 8, "out_features", 12), 8, 7, 12,
                        List.of("linear_1.weight", "linear_2.bias")),
                new Case("linear", Map.of("in_features", 8, "out_features", 12), 8, 7, 12, List.of("weight", "bias")),
                new Case("qformer", Map.of("hidden_size", 16, "num_hidden_layers", 2, "num_attention_heads", 4,
                        "intermediate_size", 32, "encoder_hidden_size", 8, "num_query_tokens", 5,
                        "language_projection", true, "projection_size", 12), 8, 5, 12,
                        List.of("query_tokens", "qformer.layernorm.weight",
                                "qformer.encoder.layer.0.crossattention.attention.key.weight")),
                new Case("perceiver_resampler", Map.of("hidden_size", 16, "resampler_n_latents", 4,
                        "resampler_depth", 2, "resampler_n_heads", 4, "resampler_head_dim", 4,
                        "num_key_value_heads", 2), 16, 4, 16,
                        List.of("latents", "layers.0.input_context_norm.weight", "layers.1.self_attn.k_proj.weight")),
                new Case("perceiver_resampler", Map.of("hidden_size", 16, "resampler_n_latents", 3,
                        "resampler_depth", 1, "resampler_n_heads", 2, "resampler_head_dim", 8, "num_key_value_heads", 1,
                        "modality_projection", true, "in_features", 8, "modality_intermediate_size", 24), 8, 3, 16,
                        List.of("modality_projection.gate_proj.weight", "latents")),
                new Case("perceiver_resampler_flamingo", Map.of("hidden_size", 8, "depth", 2, "dim_head", 4, "heads", 2,
                        "num_latents", 6, "out_features", 12), 8, 6, 12,
                        List.of("latents", "layers.0.0.to_kv.weight", "layers.0.1.3.weight")),
                new Case("perceiver_resampler_flamingo", Map.of("hidden_size", 8, "depth", 1, "dim_head", 4, "heads", 2,
                        "num_latents", 2, "max_num_media", 3, "max_num_frames", 2), 8, 2, 8,
                        List.of("media_time_embs", "frame_embs"))
        ).map(Arguments::of);
    }

    private static Connector random(Case c, long seed) {
        Map<String, Object> yaml = new HashMap<>(c.yaml());
        yaml.put("init", "random");
        yaml.put("seed", seed);
        return load(c.type(), null, yaml);
    }

    private static NDArray features(Case c, long batch, long tokens) {
        return manager.randomNormal(0, 1, new Shape(batch, tokens, c.inputWidth()), DataType.FLOAT32);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void declaresItsOutputShapeBeforeRunning(Case c) {
        try (Connector connector = random(c, 0)) {
            TokenGrid grid = new TokenGrid(2, 3, 1);
            assertEquals(c.tokens(), connector.outputTokens(grid));
            assertEquals(c.width(), connector.outputSize());
            NDArray out = connector.project(features(c, 2, 7), null, grid);
            assertEquals(new Shape(2, connector.outputTokens(grid), connector.outputSize()), out.getShape());
            for (TokenGrid g : List.of(new TokenGrid(1, 1, 0), new TokenGrid(4, 4, 0), new TokenGrid(3, 5, 1))) {
                NDArray o = connector.project(features(c, 1, g.tokens()), null, g);
                assertEquals(connector.outputTokens(g), o.getShape().get(1), "grid " + g);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randomInitIsDeterministicForASeed(Case c) {
        NDArray x = features(c, 2, 7);
        TokenGrid grid = new TokenGrid(2, 3, 1);
        float[] a;
        float[] b;
        float[] other;
        try (Connector first = random(c, 42)) {
            a = first.project(x, null, grid).toFloatArray();
        }
        try (Connector second = random(c, 42)) {
            b = second.project(x, null, grid).toFloatArray();
        }
        try (Connector third = random(c, 43)) {
            other = third.project(x, null, grid).toFloatArray();
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, other), "seed 43 gave the same output as seed 42");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void checkpointWithoutItsTensorsFailsNamingThem(Case c) {
        Path unrelated = fixture("clip_vision"); // a checkpoint that holds none of the connectors' tensors
        Map<String, Object> yaml = new HashMap<>(c.yaml());
        yaml.put("weights_prefix", "connector.");
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(c.type(), unrelated, yaml));
        for (String name : c.missing()) {
            assertTrue(e.getMessage().contains("connector." + name), "'" + name + "' not named in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains("init: random"), e.getMessage());
        assertTrue(e.getMessage().contains("[weights_prefix 'connector.', which no tensor name starts with; they start "
                + "with vision_model., ") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void repeatedProjectionsLeaveNoArraysBehind(Case c) {
        try (NDManager parent = manager.newSubManager()) {
            Map<String, Object> yaml = new HashMap<>(c.yaml());
            yaml.put("init", "random");
            try (Connector connector = runtime.loader().load(c.type(), Role.CONNECTOR, null, yaml, parent,
                    DataType.FLOAT32)) {
                NDArray x = parent.randomNormal(new Shape(2, 7, c.inputWidth()));
                NDArray mask = parent.ones(new Shape(2, 7));
                connector.project(x, mask, new TokenGrid(2, 3, 1)).close();
                int before = parent.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    connector.project(x, mask, new TokenGrid(2, 3, 1)).close();
                }
                assertEquals(before, parent.getManagedArrays().size());
                assertEquals(parent, x.getManager()); // the input goes back to its owner
            }
        }
    }
}
