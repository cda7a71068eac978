package org.mix4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.TextSettings;

class PipelinesTest {

    @Test
    void builderAssemblesTheYamlTreeAndParsesItLikeAFile() {
        Path ckpt = Path.of("models", "tiny").toAbsolutePath();
        PipelineConfig config = Pipelines.builder("text")
                .checkpoint(ckpt)
                .component("llm", "llama", Map.of("weights_prefix", "language_model."))
                .component("tokenizer", "hf_tokenizer", Map.of("path", Path.of("tok")))
                .set("prompt_template", "Q: {prompt} A:")
                .set("generation", Map.of("max_new_tokens", 32, "stop", List.of("\n")))
                .build();
        assertEquals("text", config.task());
        assertEquals(ckpt, config.checkpoint());
        assertEquals("llama", config.component("llm").type());
        assertEquals("language_model.", config.component("llm").weightsPrefix());
        assertEquals("tok", config.component("tokenizer").weights());
        assertEquals("Q: {prompt} A:", config.settings(TextSettings.class).promptTemplate());
        assertEquals(32L, ((Scalar) config.section("generation").get("max_new_tokens")).value());
    }

    @Test
    void builderErrorsNameTheKeyAndTheValidOnes() {
        ConfigException unknown = assertThrows(ConfigException.class, () -> Pipelines.builder("text")
                .component("llm", "llama").component("tokenizer", "hf_tokenizer").set("max_tokens", 3).build());
        assertEquals("max_tokens", unknown.keyPath());
        assertTrue(unknown.validKeys().contains("generation"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("Pipelines.builder(\"text\")"), unknown.getMessage());

        ConfigException missing = assertThrows(ConfigException.class,
                () -> Pipelines.builder("understanding").component("llm", "llama").build());
        assertTrue(missing.getMessage().contains("missing required component"), missing.getMessage());
        assertThrows(ConfigException.class, () -> Pipelines.builder("painting").build());
    }

    @Test
    void treeIsWhatTheBuilderSaid() {
        MapNode tree = Pipelines.builder("retrieval").component("encoder", "clip_vision").tree();
        assertEquals(ConfigNode.fromJava(Map.of("task", "retrieval", "encoder", Map.of("type", "clip_vision")),
                Origin.of("Pipelines.builder(\"retrieval\")")), tree);
        assertNull(tree.get("checkpoint"));
    }
}
