package org.mix4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.ConfigNode.MapNode;

class ConfigOverridesTest {

    record Sampling(@Default("7.5") double guidanceScale, @Default("50") int numInferenceSteps) {
        Sampling {
            if (guidanceScale < 0) {
                throw new IllegalArgumentException("guidance_scale must be >= 0, got " + guidanceScale);
            }
        }
    }

    private static MapNode yaml(String text) {
        return new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader(text), "p.yaml");
    }

    @Test
    void overridesReplaceDocumentValuesAndCreateMissingSections() {
        MapNode root = new ConfigOverrides()
                .set("guidance_scale", 3.0, "--guidance")
                .set("generation.max_new_tokens", 5, "--max-new-tokens")
                .set("seed", null, "--seed")
                .applyTo(yaml("task: text\nguidance_scale: 7.5\nseed: 4\ngeneration: { temperature: 0 }\n"));
        assertEquals(3.0, ((ConfigNode.Scalar) root.get("guidance_scale")).value());
        assertEquals(4L, ((ConfigNode.Scalar) root.get("seed")).value());
        MapNode generation = (MapNode) root.get("generation");
        assertEquals(5L, ((ConfigNode.Scalar) generation.get("max_new_tokens")).value());
        assertEquals(0L, ((ConfigNode.Scalar) generation.get("temperature")).value());
        assertEquals(4, root.keyOrigin("generation").line(), "the section keeps its own location");
    }

    @Test
    void aCheckFailingOnAnOverrideNamesTheFlag() {
        MapNode root = new ConfigOverrides().set("guidance_scale", -1.0, "--guidance")
                .applyTo(yaml("num_inference_steps: 20\n"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(Sampling.class, root, ""));
        assertEquals("--guidance", e.file());
        assertEquals("guidance_scale", e.keyPath());
        assertTrue(e.getMessage().startsWith("--guidance: guidance_scale: "), e.getMessage());
    }

    @Test
    void aCheckFailingInTheFileNamesTheValuesLine() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigBinder.bind(Sampling.class, yaml("num_inference_steps: 20\nguidance_scale: -2\n"), ""));
        assertEquals(2, e.line());
        assertEquals("guidance_scale", e.keyPath());
    }

    @Test
    void aWrongTypeFromAFlagNamesTheFlag() {
        MapNode root = new ConfigOverrides().set("num_inference_steps", "many", "--steps").applyTo(yaml("seed: 1\n"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigBinder.bind(Sampling.class,
                root.without(List.of("seed")), ""));
        assertTrue(e.getMessage().startsWith("--steps: num_inference_steps: expected an integer"), e.getMessage());
    }

    @Test
    void writtenYamlReadsBackToTheSameTree() {
        MapNode root = yaml("""
                task: generation
                checkpoint: '/models/it''s here'
                encoder: { type: clip_vision, weights_prefix: vision_tower., feature_layer: -2 }
                size: [512, 768]
                guidance_scale: 7.5
                negative_prompt: 'blurry: yes'
                flag: 'true'
                tiling: { type: multidiffusion, circular: false }
                """);
        String text = YamlWriter.write(root, List.of("a comment"));
        assertTrue(text.startsWith("# a comment\n"), text);
        assertEquals(plain(root), plain(yaml(text)));
    }

    /** The tree without origins. */
    private static Object plain(ConfigNode n) {
        if (n instanceof MapNode m) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            m.entries().forEach((k, v) -> out.put(k, plain(v)));
            return out;
        }
        if (n instanceof ConfigNode.ListNode l) {
            return l.items().stream().map(ConfigOverridesTest::plain).toList();
        }
        return ((ConfigNode.Scalar) n).value();
    }
}
