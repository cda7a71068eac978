package org.mix4j.llm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Published chat templates (copied as test data) rendered by Jinjava; the expected prompts are
 * worked out by hand from each template's Jinja2 semantics (trim_blocks, lstrip_blocks).
 */
class ChatTemplateTest {

    private static ChatTemplate template(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat_templates/" + name)) {
            return new ChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        }
    }

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static final Map<String, Object> LLAMA_TOKENS = Map.of("bos_token", "<s>", "eos_token", "</s>");

    @Test
    void qwen2AddsDefaultSystemPromptAndGenerationPrompt() throws IOException {
        String out = template("qwen2.jinja").render(List.of(msg("user", "Hello")), true, Map.of());
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", out);
    }

    @Test
    void qwen2KeepsGivenSystemPromptAndHistory() throws IOException {
        String out = template("qwen2.jinja").render(List.of(msg("system", "Be brief."), msg("user", "Hello"),
                msg("assistant", "Hi!")), false, Map.of());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                + "<|im_start|>assistant\nHi!<|im_end|>\n", out);
    }

    @Test
    void llama3TrimsOnlyTheContentAndPrependsBos() throws IOException {
        String out = template("llama3.jinja").render(List.of(msg("system", "You are a bot."),
                msg("user", " Hi there! \n")), true, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void qwen25WithoutToolsMatchesChatMl() throws IOException {
        String out = template("qwen2_5.jinja").render(List.of(msg("user", "Hello")), true, Map.of());
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", out);
    }

    @Test
    void qwen25RendersToolsToolCallsAndToolResponsesWithPythonJson() throws IOException {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "get_weather");
        function.put("parameters", Map.of("type", "object"));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("name", "get_weather");
        call.put("arguments", Map.of("city", "Paris"));
        Map<String, Object> assistant = msg("assistant", "");
        assistant.put("tool_calls", List.of(Map.of("type", "function", "function", call)));
        String out = template("qwen2_5.jinja").render(List.of(msg("user", "Weather in Paris?"), assistant,
                msg("tool", "22C")), true, Map.of("tools", List.of(tool)));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}"
                + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                + "<args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}"
                + "\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n22C\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n", out);
    }

    @Test
    void llama2UsesSlicesAndPythonStrip() throws IOException {
        String out = template("llama2.jinja").render(List.of(msg("system", "Be kind."), msg("user", " Hi "),
                msg("assistant", " Hello "), msg("user", "Bye")), true, LLAMA_TOKENS);
        assertEquals("<s>[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\n Hi [/INST] Hello </s><s>[INST] Bye [/INST]", out);
    }

    @Test
    void mistralRendersAlternatingTurns() throws IOException {
        String out = template("mistral.jinja").render(List.of(msg("user", "Hi"), msg("assistant", "Hello!"),
                msg("user", "Bye")), true, LLAMA_TOKENS);
        assertEquals("<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]", out);
    }

    @Test
    void raiseExceptionReportsTheTemplatesMessage() throws IOException {
        ChatTemplate t = template("mistral.jinja");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(msg("assistant", "first")), true, LLAMA_TOKENS));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void pythonStringMethodsWork() {
        ChatTemplate t = new ChatTemplate("{{ 'ab'.upper() }}|{{ 'A b'.lower() }}|{{ 'x,y,z'.split(',') | length }}|"
                + "{{ '<tool>'.startswith('<') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ '--a--'.strip('-') }}|"
                + "{{ ' a b '.split() | join('+') }}|{{ 'hello world'.title() }}|{{ '  x'.lstrip() }}", "test");
        assertEquals("AB|a b|3|true|true|a|a+b|Hello World|x", t.render(List.of(), false, Map.of()));
    }

    @Test
    void unrenderableTemplateSuggestsPromptTemplate() {
        ChatTemplate t = new ChatTemplate("{{ no_such_function(messages) }}", "broken.jinja");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(), true, Map.of()));
        assertTrue(e.getMessage().contains("broken.jinja") && e.getMessage().contains("prompt_template"), e.getMessage());
    }
}
