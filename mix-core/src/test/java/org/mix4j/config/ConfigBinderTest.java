package org.mix4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigBinderTest {

    enum Act { GELU, QUICK_GELU }

    record Tiling(@Default("false") boolean enabled, @Default("512") int tileSampleMinSize) {}

    record EncoderConfig(
            int hiddenSize,
            int patchSize,
            @Default("1e-5") double layerNormEps,
            @Default("quick_gelu") Act hiddenAct,
            @Default("-2") int featureLayer,
            @OptionalKey Integer projectionDim,
            @Default("[]") List<Long> eosTokenId,
            @OptionalKey Tiling tiling,
            @Key("_name_or_path") @OptionalKey String nameOrPath) {
        EncoderConfig {
            if (hiddenSize % 2 != 0) {
                throw new IllegalArgumentException("hidden_size must be even, got " + hiddenSize);
            }
        }
    }

    private static ConfigNode.MapNode yaml(String text) {
        return new YamlLoader(EnvExpander.of(Map.of("HOME_DIR", "/models"))).load(new StringReader(text), "pipe.yaml");
    }

    private static ConfigNode.MapNode section(String text) {
        return (ConfigNode.MapNode) yaml(text).get("encoder");
    }

    private static ConfigNode.MapNode json(String text) {
        return JsonConfig.toNode(JsonParser.parseString(text).getAsJsonObject(), "config.json");
    }

    @Test
    void yamlOverridesCheckpointValuesWhichOverrideDefaults() {
        EncoderConfig c = ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  patch_size: 14\n"),
                json("{\"hidden_size\": 64, \"patch_size\": 16, \"hidden_act\": \"gelu\", \"unrelated\": 1}"),
                "encoder", Set.of());
        assertEquals(64, c.hiddenSize());
        assertEquals(14, c.patchSize());
        assertEquals(Act.GELU, c.hiddenAct());
        assertEquals(1e-5, c.layerNormEps());
        assertEquals(-2, c.featureLayer());
        assertNull(c.projectionDim());
        assertEquals(List.of(), c.eosTokenId());
    }

    @Test
    void rejectsUnknownKeyWithPositionPathAndValidKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("task: x\nencoder:\n  hidden_size: 8\n  patch_sise: 14\n"), null, "encoder", Set.of("type")));
        assertEquals("pipe.yaml", e.file());
        assertEquals(4, e.line());
        assertEquals(3, e.column());
        assertEquals("encoder.patch_sise", e.keyPath());
        assertTrue(e.validKeys().contains("patch_size") && e.validKeys().contains("type"), e.validKeys().toString());
        assertTrue(e.getMessage().startsWith("pipe.yaml:4:3: encoder.patch_sise: unknown key (did you mean 'patch_size'?)"),
                e.getMessage());
    }

    @Test
    void rejectsWrongTypeAtTheValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  hidden_size: large\n  patch_size: 2\n"), null, "encoder", Set.of()));
        assertEquals("encoder.hidden_size", e.keyPath());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("expected an integer, got 'large'"), e.getMessage());
    }

    @Test
    void rejectsMissingRequiredKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  patch_size: 2\n"), null, "encoder", Set.of()));
        assertEquals("encoder.hidden_size", e.keyPath());
        assertTrue(e.getMessage().contains("missing required key"), e.getMessage());
    }

    @Test
    void rejectsUnknownEnumValueListingValidOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  hidden_size: 8\n  patch_size: 2\n  hidden_act: swish\n"), null, "encoder", Set.of()));
        assertEquals(List.of("gelu", "quick_gelu"), e.validKeys());
    }

    @Test
    void compactConstructorErrorsBecomeConfigErrors() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  hidden_size: 7\n  patch_size: 2\n"), null, "encoder", Set.of()));
        assertTrue(e.getMessage().contains("hidden_size must be even, got 7") && e.getMessage().startsWith("pipe.yaml:2"),
                e.getMessage());
    }

    @Test
    void bindsNestedRecordsListsFromScalarsAndExplicitKeys() {
        EncoderConfig c = ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  hidden_size: 8\n  patch_size: 2\n  tiling: {enabled: true}\n  eos_token_id: 2\n"),
                json("{\"_name_or_path\": \"openai/clip\"}"), "encoder", Set.of());
        assertEquals(new Tiling(true, 512), c.tiling());
        assertEquals(List.of(2L), c.eosTokenId());
        assertEquals("openai/clip", c.nameOrPath());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(EncoderConfig.class,
                section("encoder:\n  hidden_size: 8\n  patch_size: 2\n  tiling: {enabeld: true}\n"), null, "encoder",
                Set.of()));
        assertEquals("encoder.tiling.enabeld", e.keyPath());
    }

    @Test
    void nullInCheckpointConfigCountsAsAbsent() {
        EncoderConfig c = ConfigBinder.bind(EncoderConfig.class, null,
                json("{\"hidden_size\": 8, \"patch_size\": 2, \"projection_dim\": null, \"layer_norm_eps\": null}"),
                "encoder", Set.of());
        assertNull(c.projectionDim());
        assertEquals(1e-5, c.layerNormEps());
    }

    @Test
    void checkKeysFindsTyposWithoutRequiringValues() {
        ConfigBinder.checkKeys(EncoderConfig.class, section("encoder:\n  patch_size: 2\n"), "encoder", Set.of());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.checkKeys(EncoderConfig.class,
                section("encoder:\n  feature_layr: 2\n"), "encoder", Set.of()));
        assertTrue(e.getMessage().contains("did you mean 'feature_layer'"), e.getMessage());
    }
}
