package org.mix4j.pipelines.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.compose.Quantize;
import org.mix4j.config.ConfigException;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;

class PipelineQuantizeTest {

    private static final String TEXT = "task: text\nllm: {type: llama}\ntokenizer: {type: hf_tokenizer}\n";

    private static PipelineConfig parse(String text) {
        return PipelineConfig.parse(new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader(text), "p.yaml"),
                "p.yaml", Path.of("/base"));
    }

    @Test
    void unsetByDefault() {
        assertNull(parse(TEXT).component("llm").quantize());
    }

    @Test
    void aSectionsOwnValueIsKept() {
        PipelineConfig c = parse("task: text\nllm: {type: llama, quantize: int8}\ntokenizer: {type: hf_tokenizer}\n");
        assertEquals(Quantize.INT8, c.component("llm").quantize());
        assertFalse(c.component("llm").quantizeInherited());
        assertNull(c.component("tokenizer").quantize());
    }

    @Test
    void aPipelineWideValueIsEverySectionsDefault() {
        PipelineConfig c = parse("task: text\nquantize: int8\nllm: {type: llama}\n"
                + "tokenizer: {type: hf_tokenizer, quantize: none}\n");
        assertEquals(Quantize.INT8, c.component("llm").quantize());
        assertTrue(c.component("llm").quantizeInherited(), "a component with nothing to quantize is then left as it is");
        assertEquals(Quantize.NONE, c.component("tokenizer").quantize());
    }

    @Test
    void anUnknownValueNamesFileLineKeyAndTheValidOnes() {
        ConfigException section = assertThrows(ConfigException.class,
                () -> parse("task: text\nllm: {type: llama, quantize: int4}\ntokenizer: {type: hf_tokenizer}\n"));
        assertEquals(2, section.line());
        assertTrue(section.getMessage().startsWith("p.yaml:2:"), section.getMessage());
        assertTrue(section.getMessage().contains("llm.quantize: unknown value 'int4'"), section.getMessage());
        assertTrue(section.getMessage().contains("int8"), section.getMessage());
        ConfigException top = assertThrows(ConfigException.class, () -> parse(TEXT + "quantize: q4\n"));
        assertEquals(4, top.line());
        assertTrue(top.getMessage().contains("quantize: unknown value 'q4'"), top.getMessage());
    }
}
