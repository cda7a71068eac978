package org.mix4j.pipelines.text;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlLoader;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.chat.ChatSession;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingDefaults;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.task.TextSettings;

/**
 * A {@code task: text} pipeline: a language model, its tokenizer and generation settings. Prompts
 * are built by the YAML {@code prompt_template} ({@code {prompt}} and {@code {system}} are
 * replaced) when given, else by the tokenizer's chat template, else used as they are.
 *
 * <p>Thread safety: {@code generate} may be called from several threads at once; each call has its
 * own KV cache, sampler and child manager, and the model is only read. A {@code ChatSession} from
 * {@code chat} is one conversation and is not thread-safe itself; several sessions may run at once.
 */
public final class TextPipeline implements AutoCloseable {

    private final LanguageModel llm;
    private final Tokenizer tokenizer;
    private final DecodingSettings settings;
    private final String promptTemplate;
    private final String systemPrompt;
    private final DecodingLoop generator;
    private final NDManager manager;
    private final long loadNanos;

    public TextPipeline(LanguageModel llm, Tokenizer tokenizer, DecodingSettings settings, String promptTemplate,
            String systemPrompt, NDManager manager, long loadNanos) {
        this.llm = llm;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.promptTemplate = promptTemplate;
        this.systemPrompt = systemPrompt;
        this.generator = new DecodingLoop(llm, tokenizer, manager);
        this.manager = manager;
        this.loadNanos = loadNanos;
    }

    /** Loads a pipeline YAML of {@code task: text}. */
    public static TextPipeline load(Path yaml, ComponentLoader loader, NDManager manager) {
        return load(PipelineConfig.load(yaml, new ConfigOverrides()), loader, manager);
    }

    /**
     * A pipeline for a checkpoint directory without YAML: the document its preset builds
     * ({@link Presets}), the same one {@code mix run --model DIR} runs.
     */
    public static TextPipeline fromCheckpoint(Path dir, ComponentLoader loader, NDManager manager) {
        return load(Presets.config(loader.registry(), dir, new ConfigOverrides()), loader, manager);
    }

    /** Builds from a parsed {@code task: text} config; generation settings from its {@code generation:} section. */
    public static TextPipeline load(PipelineConfig config, ComponentLoader loader, NDManager manager) {
        if (!config.task().equals(Tasks.TEXT.task())) {
            ConfigNode task = config.root().get("task");
            throw new ConfigException(task != null ? task.origin() : config.root().origin(), "task",
                    "a text pipeline needs 'task: text', got '" + config.task() + "'", List.of("text"));
        }
        long start = System.nanoTime();
        DataType dtype = config.dataType();
        Tokenizer tokenizer = loader.load(config.component("tokenizer"), Role.TOKENIZER, config.checkpoint(), manager, dtype);
        LanguageModel llm = loader.load(config.component("llm"), Role.LANGUAGE_MODEL, config.checkpoint(), manager, dtype);
        TextSettings text = config.settings(TextSettings.class);
        DecodingSettings settings = DecodingDefaults.bind(config.section("generation"), config.checkpoint(), tokenizer,
                llm.vocabSize());
        return new TextPipeline(llm, tokenizer, settings, text.promptTemplate(), text.systemPrompt(), manager,
                System.nanoTime() - start);
    }

    public DecodingSettings settings() {
        return settings;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public LanguageModel llm() {
        return llm;
    }

    /** Seconds spent loading the components. */
    public double loadSeconds() {
        return loadNanos / 1e9;
    }

    /** One-shot generation for a single user message (with the YAML system prompt, if any). */
    public DecodeResult generate(String userText, DecodingSettings s, TextStreamer streamer) {
        return complete(List.of(message("user", userText)), s, streamer);
    }

    /** One reply per user message, decoded as one left-padded batch; rows keep the order of {@code userTexts}. */
    public DecodeResult generateAll(List<String> userTexts, DecodingSettings s, TextStreamer streamer) {
        List<long[]> rows = new ArrayList<>();
        for (String t : userTexts) {
            rows.add(encodePrompt(List.of(message("user", t))));
        }
        return generator.generate(rows, s, streamer);
    }

    /** Generates the assistant's next message for a conversation. */
    public DecodeResult complete(List<Map<String, Object>> conversation, DecodingSettings s, TextStreamer streamer) {
        return complete(conversation, s, streamer, () -> false);
    }

    /**
     * {@link #complete(List, DecodingSettings, TextStreamer)} that stops when {@code cancelled}
     * answers true (polled after each token; the reply then ends as {@code CANCELLED}).
     */
    public DecodeResult complete(List<Map<String, Object>> conversation, DecodingSettings s, TextStreamer streamer,
            BooleanSupplier cancelled) {
        long[] ids = encodePrompt(conversation);
        return generator.generate(List.of(ids), s, streamer, cancelled);
    }

    /**
     * A multi-turn conversation that keeps its history and its KV cache between turns.
     *
     * @param context positions the conversation may use (capped at the model's); older turns are
     *     dropped beyond it
     */
    public ChatSession chat(DecodingSettings s, int context) {
        return new ChatSession(new TextChat(this), s, context, manager);
    }

    /** The token ids of the prompt for {@code conversation} (system prompt added when configured). */
    public long[] encodePrompt(List<Map<String, Object>> conversation) {
        return encodePrompt(conversation, true);
    }

    /**
     * The token ids of {@code conversation}; with {@code generationPrompt} the prompt for the next
     * reply follows (what inference reads), without it the text ends with the last message (what
     * training reads, its reply included).
     */
    public long[] encodePrompt(List<Map<String, Object>> conversation, boolean generationPrompt) {
        String text = renderPrompt(conversation, generationPrompt);
        // the chat template writes the special tokens itself, as apply_chat_template(tokenize=True) assumes
        return promptTemplate == null && tokenizer.hasChatTemplate() ? tokenizer.encodeRaw(text) : tokenizer.encode(text);
    }

    /** The prompt text for {@code conversation}: prompt_template, else the chat template, else the plain messages. */
    public String renderPrompt(List<Map<String, Object>> conversation) {
        return renderPrompt(conversation, true);
    }

    /** {@link #renderPrompt(List)}, the chat template's generation prompt only when {@code generationPrompt}. */
    public String renderPrompt(List<Map<String, Object>> conversation, boolean generationPrompt) {
        List<Map<String, Object>> messages = new ArrayList<>();
        boolean hasSystem = conversation.stream().anyMatch(m -> "system".equals(m.get("role")));
        if (systemPrompt != null && !hasSystem) {
            messages.add(message("system", systemPrompt));
        }
        messages.addAll(conversation);
        if (promptTemplate != null) {
            return renderPlain(messages);
        }
        if (tokenizer.hasChatTemplate()) {
            return tokenizer.applyChatTemplate(messages, generationPrompt);
        }
        StringBuilder plain = new StringBuilder();
        messages.forEach(m -> plain.append(plain.length() == 0 ? "" : "\n").append(m.get("content")));
        return plain.toString();
    }

    /** {@link #renderPrompt} of one user message. */
    public String renderPrompt(String userText) {
        return renderPrompt(List.of(message("user", userText)));
    }

    // prompt_template per user turn, each earlier reply appended after its turn
    private String renderPlain(List<Map<String, Object>> messages) {
        String system = messages.stream().filter(m -> "system".equals(m.get("role"))).map(m -> (String) m.get("content"))
                .findFirst().orElse("");
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> m : messages) {
            if ("user".equals(m.get("role"))) {
                sb.append(promptTemplate.replace("{system}", system).replace("{prompt}", (String) m.get("content")));
            } else if ("assistant".equals(m.get("role"))) {
                sb.append(m.get("content"));
            }
        }
        return sb.toString();
    }

    static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Override
    public void close() {
        llm.close();
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing useful to do while shutting down
            }
        }
    }
}
