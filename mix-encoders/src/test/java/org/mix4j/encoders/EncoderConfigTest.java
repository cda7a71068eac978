package org.mix4j.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;
import org.mix4j.encoders.clip.ClipTextConfig;
import org.mix4j.encoders.clip.ClipVisionConfig;
import org.mix4j.encoders.layers.FeatureSelect;
import org.mix4j.encoders.siglip.SiglipVisionConfig;
import org.mix4j.nn.Activation;

/** Binding the encoders' YAML sections over checkpoint configs, as a pipeline file does. */
class EncoderConfigTest extends EncoderTestSupport {

    private static ComponentSpec section(String yaml) {
        MapNode doc = new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader(yaml), "pipeline.yaml");
        return ComponentSpec.parse("encoder", doc.get("encoder"));
    }

    private static Record bind(String yaml, Role role, Path checkpoint) {
        return loader.bindConfig(section(yaml), role, checkpoint);
    }

    @Test
    void yamlFeatureLayerAndSelectOverrideTheDefaults() {
        ClipVisionConfig plain = (ClipVisionConfig) bind("encoder:\n  type: clip_vision\n", Role.VISION_ENCODER,
                fixture("clip_vision"));
        assertEquals(-2, plain.featureLayer());
        assertEquals(FeatureSelect.PATCH, plain.select());
        ClipVisionConfig c = (ClipVisionConfig) bind("encoder:\n  type: clip_vision\n  feature_layer: -1\n"
                + "  select: full\n", Role.VISION_ENCODER, fixture("clip_vision"));
        assertEquals(-1, c.featureLayer());
        assertEquals(FeatureSelect.FULL, c.select());
        // architecture values still come from the checkpoint's config.json
        assertEquals(32, c.hiddenSize());
        assertEquals(8, c.patchSize());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(Activation.QUICK_GELU, c.hiddenAct());
    }

    @Test
    void rejectsUnknownKeyNamingItWithItsLineAndTheValidKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> bind(
                "encoder:\n  type: clip_vision\n  patch_sise: 8\n", Role.VISION_ENCODER, fixture("clip_vision")));
        assertEquals("encoder.patch_sise", e.keyPath());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("did you mean 'patch_size'"), e.getMessage());
        assertTrue(e.validKeys().contains("feature_layer") && e.validKeys().contains("weights_prefix"), e.getMessage());
    }

    @Test
    void rejectsValuesTheModelCannotUse() {
        ConfigException range = assertThrows(ConfigException.class, () -> bind(
                "encoder:\n  type: clip_vision\n  feature_layer: 3\n", Role.VISION_ENCODER, fixture("clip_vision")));
        assertTrue(range.getMessage().contains("-3 to 2"), range.getMessage());
        ConfigException act = assertThrows(ConfigException.class, () -> bind(
                "encoder:\n  type: siglip_vision\n  hidden_act: swish\n", Role.VISION_ENCODER, fixture("siglip_vision")));
        assertTrue(act.validKeys().contains("gelu_pytorch_tanh"), act.getMessage());
        ConfigException select = assertThrows(ConfigException.class, () -> bind(
                "encoder:\n  type: clip_vision\n  select: cls\n", Role.VISION_ENCODER, fixture("clip_vision")));
        assertEquals("encoder.select", select.keyPath());
    }

    @Test
    void compositeCheckpointsGiveTheTowersTheirSubConfigs() {
        ClipVisionConfig vision = (ClipVisionConfig) bind("encoder:\n  type: clip_vision\n", Role.VISION_ENCODER,
                fixture("clip_full"));
        assertEquals(32, vision.hiddenSize());
        assertEquals(8, vision.patchSize());
        assertEquals(32, vision.imageSize());
        assertEquals(16, vision.projectionDim(), "CLIPModel's top-level projection_dim sizes visual_projection");
        assertEquals(1e-5, vision.layerNormEps(), "keys the sub-config omits take CLIPVisionConfig's defaults");
        ClipTextConfig text = (ClipTextConfig) bind("encoder:\n  type: clip_text\n", Role.TEXT_ENCODER,
                fixture("clip_full"));
        assertEquals(100, text.vocabSize());
        assertEquals(99, text.eosTokenId());
        assertEquals(16, text.maxPositionEmbeddings());
        assertEquals(16, text.projectionDim());
        SiglipVisionConfig siglip = (SiglipVisionConfig) bind("encoder:\n  type: siglip_vision\n",
                Role.VISION_ENCODER, fixture("siglip_vision"));
        assertEquals(1e-6, siglip.layerNormEps());
        assertEquals(Activation.GELU_PYTORCH_TANH, siglip.hiddenAct());
        assertTrue(siglip.visionUseHead());
    }

    @Test
    void llavaFeatureChoiceBecomesTheDefaultAndYamlStillWins(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llava", "vision_feature_layer": -3, "vision_feature_select_strategy": "full",
                 "vision_config": {"hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
                                   "image_size": 336, "patch_size": 14, "projection_dim": 768}}
                """);
        ClipVisionConfig c = (ClipVisionConfig) bind("encoder:\n  type: clip_vision\n", Role.VISION_ENCODER, dir);
        assertEquals(-3, c.featureLayer());
        assertEquals(FeatureSelect.FULL, c.select());
        assertEquals(768, c.projectionDim(), "without a top-level projection_dim the sub-config's own is kept");
        assertEquals(24, c.gridSize());
        ClipVisionConfig overridden = (ClipVisionConfig) bind("encoder:\n  type: clip_vision\n  feature_layer: -1\n"
                + "  select: patch\n", Role.VISION_ENCODER, dir);
        assertEquals(-1, overridden.featureLayer());
        assertEquals(FeatureSelect.PATCH, overridden.select());
    }
}
