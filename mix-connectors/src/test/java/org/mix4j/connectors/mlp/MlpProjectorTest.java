package org.mix4j.connectors.mlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.ConfigException;
import org.mix4j.connectors.ConnectorTestSupport;
import org.mix4j.connectors.RawTensors;
import org.mix4j.connectors.RawTensors.Tensor;
import org.mix4j.connectors.Reference;
import org.mix4j.nn.Activation;

/**
 * The LLaVA projector of the {@code llava} fixture, loaded as YAML would load it, against a float64
 * Linear -> GELU(erf) -> Linear computed here from the raw checkpoint tensors. (The fixture's
 * {@code image_features} need the CLIP tower's hidden states as input; that end-to-end comparison
 * belongs to the understanding pipeline.)
 */
class MlpProjectorTest extends ConnectorTestSupport {

    private static final Map<String, String> LLAVA = Map.of("weights_prefix", "multi_modal_projector.");

    @Test
    void llavaProjectorMatchesFloat64ReferenceOnRandomInputs() throws Exception {
        Map<String, Tensor> raw = RawTensors.read(fixture("llava").resolve("model.safetensors"));
        Tensor w1 = raw.get("multi_modal_projector.linear_1.weight");
        Tensor b1 = raw.get("multi_modal_projector.linear_1.bias");
        Tensor w2 = raw.get("multi_modal_projector.linear_2.weight");
        Tensor b2 = raw.get("multi_modal_projector.linear_2.bias");
        int batch = 2;
        int tokens = 16;
        int in = w1.dim(1);
        double[][] x = Reference.randomRows(batch * tokens, in, 3);
        double[][] expected = Reference.linear(Reference.map(Reference.linear(x, w1, b1), Reference::gelu), w2, b2);

        try (Connector projector = load("mlp", fixture("llava"), LLAVA)) {
            NDArray features = manager.create(Reference.toFloat(x), new Shape(batch, tokens, in));
            NDArray out = projector.project(features, null, new TokenGrid(4, 4, 0));
            assertEquals(new Shape(batch, tokens, w2.dim(0)), out.getShape());
            double err = Reference.maxAbsDiff(expected, out.toFloatArray());
            assertTrue(err < 1e-5, "max |err| " + err);
        }
    }

    @Test
    void sizesComeFromTheLlavaConfigAndYamlOverridesThem() {
        try (Connector projector = load("mlp", fixture("llava"), LLAVA)) {
            assertEquals(64, projector.outputSize()); // text_config.hidden_size
        }
        Map<String, Object> random = Map.of("weights_prefix", "multi_modal_projector.", "init", "random",
                "out_features", 48, "hidden_features", 40, "num_layers", 3);
        try (Connector projector = load("mlp", fixture("llava"), random)) {
            assertEquals(48, projector.outputSize());
            NDArray out = projector.project(manager.ones(new Shape(1, 5, 32)), null, new TokenGrid(1, 5, 0));
            assertEquals(new Shape(1, 5, 48), out.getShape()); // in_features 32 still from vision_config
        }
    }

    @Test
    void linearTypeIsOneLinearLayer() throws Exception {
        Map<String, Tensor> raw = RawTensors.read(fixture("llava").resolve("model.safetensors"));
        Tensor w = raw.get("multi_modal_projector.linear_1.weight");
        Tensor b = raw.get("multi_modal_projector.linear_1.bias");
        double[][] x = Reference.randomRows(6, w.dim(1), 4);
        try (Connector projector = load("linear", fixture("llava"),
                Map.of("weights_prefix", "multi_modal_projector.linear_1."))) {
            NDArray out = projector.project(manager.create(Reference.toFloat(x), new Shape(1, 6, w.dim(1))), null,
                    new TokenGrid(2, 3, 0));
            double err = Reference.maxAbsDiff(Reference.linear(x, w, b), out.toFloatArray());
            assertTrue(err < 1e-5, "max |err| " + err);
        }
    }

    @Test
    void outputTokensEqualInputTokensForEveryGrid() {
        try (Connector projector = load("mlp", null, Map.of("init", "random", "in_features", 8, "out_features", 4))) {
            assertEquals(16, projector.outputTokens(new TokenGrid(4, 4, 0)));
            assertEquals(577, projector.outputTokens(new TokenGrid(24, 24, 1)));
            assertEquals(6, projector.outputTokens(new TokenGrid(2, 3, 0)));
            NDArray out = projector.project(manager.ones(new Shape(2, 7, 8)), null, new TokenGrid(2, 3, 1));
            assertEquals(new Shape(2, 7, 4), out.getShape());
        }
    }

    @Test
    void rejectsFeaturesThatDoNotFitTheGridOrTheWidth() {
        try (Connector projector = load("mlp", null, Map.of("init", "random", "in_features", 8, "out_features", 4))) {
            IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                    () -> projector.project(manager.ones(new Shape(1, 5, 8)), null, new TokenGrid(2, 3, 0)));
            assertTrue(tokens.getMessage().contains("5 tokens"), tokens.getMessage());
            IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                    () -> projector.project(manager.ones(new Shape(1, 6, 9)), null, new TokenGrid(2, 3, 0)));
            assertTrue(width.getMessage().contains("8"), width.getMessage());
        }
    }

    @Test
    void projectorTypeSetsLayersAndActivation() {
        MlpProjectorConfig mlp3 = new MlpProjectorConfig(8, 4, null, null, null, true, "mlp3x_relu");
        assertEquals(3, mlp3.numLayers());
        assertEquals(Activation.RELU, mlp3.hiddenAct());
        MlpProjectorConfig linear = new MlpProjectorConfig(8, 4, null, null, null, true, "linear");
        assertEquals(1, linear.numLayers());
        MlpProjectorConfig plain = new MlpProjectorConfig(8, 4, null, null, null, true, null);
        assertEquals(2, plain.numLayers());
        assertEquals(Activation.GELU, plain.hiddenAct());
        try (Connector projector = load("mlp", null,
                Map.of("init", "random", "in_features", 8, "out_features", 4, "projector_type", "mlp3x_gelu"))) {
            assertEquals(4, projector.outputSize());
        }
    }

    @Test
    void conflictingProjectorTypeAndNumLayersIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("mlp", null,
                Map.of("init", "random", "in_features", 8, "out_features", 4, "projector_type", "mlp2x_gelu",
                        "num_layers", 3)));
        assertTrue(e.getMessage().contains("num_layers"), e.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> load("mlp", null,
                Map.of("init", "random", "in_features", 8, "out_features", 4, "projector_type", "mlp2x_swiglu")));
        assertTrue(bad.getMessage().contains("swiglu"), bad.getMessage());
    }

    @Test
    void everyActivationOfTheProjectorRuns() {
        for (Activation act : Activation.values()) {
            try (Connector projector = load("mlp", null, Map.of("init", "random", "in_features", 8, "out_features", 4,
                    "hidden_act", act.key()))) {
                float[] y = projector.project(manager.ones(new Shape(1, 2, 8)), null, new TokenGrid(1, 2, 0))
                        .toFloatArray();
                assertEquals(8, y.length);
            }
        }
    }

    @Test
    void missingInFeaturesWithoutConfigOrTensorsNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("mlp", null, Map.of("init", "random", "out_features", 4)));
        assertTrue(e.getMessage().contains("in_features"), e.getMessage());
    }
}
