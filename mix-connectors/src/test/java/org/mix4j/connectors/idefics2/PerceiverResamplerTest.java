package org.mix4j.connectors.idefics2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.JsonConfig;
import org.mix4j.connectors.ConnectorTestSupport;
import org.mix4j.connectors.RawTensors;
import org.mix4j.connectors.RawTensors.Tensor;
import org.mix4j.connectors.Reference;
import org.mix4j.weights.CheckpointException;

class PerceiverResamplerTest extends ConnectorTestSupport {

    @TempDir
    static Path tmp;

    /**
     * An Idefics2-shaped checkpoint: the fixture's resampler under
     * {@code model.connector.perceiver_resampler.}, a gated modality projection from a narrower
     * vision width, and a config with {@code perceiver_config}, {@code vision_config},
     * {@code text_config}. Its output must equal the bare resampler (golden-verified) run on the
     * projection computed here in float64.
     */
    @Test
    void idefics2ConnectorProjectsThenResamples() throws Exception {
        JsonObject perceiver = JsonConfig.read(fixture("idefics2_resampler").resolve("config.json"));
        int hidden = perceiver.get("hidden_size").getAsInt();
        int vision = 24;
        int intermediate = 40;
        Path dir = Files.createTempDirectory(tmp, "idefics2");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RawTensors.read(fixture("idefics2_resampler").resolve("model.safetensors"))
                .forEach((name, t) -> tensors.put("model.connector.perceiver_resampler." + name, t));
        Tensor gate = random(new long[] {intermediate, vision}, 1);
        Tensor up = random(new long[] {intermediate, vision}, 2);
        Tensor down = random(new long[] {hidden, intermediate}, 3);
        tensors.put("model.connector.modality_projection.gate_proj.weight", gate);
        tensors.put("model.connector.modality_projection.up_proj.weight", up);
        tensors.put("model.connector.modality_projection.down_proj.weight", down);
        RawTensors.write(dir.resolve("model.safetensors"), tensors);
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", hidden);
        text.addProperty("intermediate_size", intermediate);
        text.addProperty("hidden_act", "silu");
        JsonObject visionConfig = new JsonObject();
        visionConfig.addProperty("hidden_size", vision);
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "idefics2");
        config.add("perceiver_config", perceiver);
        config.add("text_config", text);
        config.add("vision_config", visionConfig);
        Files.writeString(dir.resolve("config.json"), config.toString());

        int batch = 2;
        int tokens = 9;
        double[][] x = Reference.randomRows(batch * tokens, vision, 7);
        double[][] gated = Reference.linear(x, gate, null);
        double[][] upped = Reference.linear(x, up, null);
        for (int r = 0; r < gated.length; r++) {
            for (int c = 0; c < intermediate; c++) {
                gated[r][c] = Reference.silu(gated[r][c]) * upped[r][c];
            }
        }
        double[][] context = Reference.linear(gated, down, null);
        NDArray mask = manager.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
                new Shape(batch, tokens));
        TokenGrid grid = new TokenGrid(3, 3, 0);
        try (Connector full = load("perceiver_resampler", dir, Map.of("weights_prefix", "model.connector."));
                Connector bare = load("perceiver_resampler", fixture("idefics2_resampler"), Map.of())) {
            NDArray contextIn = manager.create(Reference.toFloat(context), new Shape(batch, tokens, hidden));
            NDArray expected = bare.project(contextIn, mask, grid);
            NDArray featuresIn = manager.create(Reference.toFloat(x), new Shape(batch, tokens, vision));
            NDArray actual = full.project(featuresIn, mask, grid);
            assertEquals(expected.getShape(), actual.getShape());
            assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 1e-4f);
            assertEquals(hidden, full.outputSize());
        }
    }

    @Test
    void outputTokensAreTheLatentCountForEveryGrid() {
        try (Connector c = load("perceiver_resampler", fixture("idefics2_resampler"), Map.of())) {
            for (TokenGrid grid : new TokenGrid[] {new TokenGrid(1, 20, 0), new TokenGrid(24, 24, 1),
                    new TokenGrid(2, 3, 0)}) {
                assertEquals(8, c.outputTokens(grid));
            }
            NDArray out = c.project(manager.ones(new Shape(3, 6, 32)), null, new TokenGrid(2, 3, 0));
            assertEquals(new Shape(3, 8, 32), out.getShape());
        }
    }

    @Test
    void maskedContextTokensDoNotChangeTheOutput() {
        try (Connector c = load("perceiver_resampler", fixture("idefics2_resampler"), Map.of())) {
            NDArray features = manager.randomNormal(new Shape(2, 6, 32));
            NDArray mask = manager.create(new float[] {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            NDArray changed = features.duplicate();
            changed.set(new NDIndex("0, 3:, :"), 50f);
            TokenGrid grid = new TokenGrid(2, 3, 0);
            assertArrayEquals(c.project(features, mask, grid).toFloatArray(),
                    c.project(changed, mask, grid).toFloatArray(), 1e-6f);
            NDArray allOnes = manager.ones(new Shape(2, 6));
            assertArrayEquals(c.project(features, allOnes, grid).toFloatArray(),
                    c.project(features, null, grid).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void yamlOverrideOfTheLatentCountIsCheckedAgainstTheStoredTensor() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> load("perceiver_resampler", fixture("idefics2_resampler"), Map.of("resampler_n_latents", 4)));
        assertTrue(e.getMessage().contains("latents") && e.getMessage().contains("(8, 32)"), e.getMessage());
        try (Connector c = load("perceiver_resampler", fixture("idefics2_resampler"),
                Map.of("resampler_n_latents", 4, "init", "random"))) {
            assertEquals(4, c.outputTokens(new TokenGrid(1, 1, 0)));
            assertEquals(new Shape(1, 4, 32),
                    c.project(manager.ones(new Shape(1, 5, 32)), null, new TokenGrid(1, 5, 0)).getShape());
        }
    }


    private static Tensor random(long[] shape, long seed) {
        double[][] rows = Reference.randomRows((int) shape[0], (int) shape[1], seed);
        double[] flat = new double[(int) (shape[0] * shape[1])];
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < rows[r].length; c++) {
                flat[r * rows[r].length + c] = (float) (rows[r][c] / Math.sqrt(shape[1]));
            }
        }
        return new Tensor(shape, flat);
    }
}
