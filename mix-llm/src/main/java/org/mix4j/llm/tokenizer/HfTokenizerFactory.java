package org.mix4j.llm.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: hf_tokenizer}: a checkpoint's {@code tokenizer.json} with its special tokens and chat template. */
@Extension
public final class HfTokenizerFactory implements ComponentFactory<HfTokenizerConfig, Tokenizer> {

    @Override
    public String type() {
        return "hf_tokenizer";
    }

    @Override
    public Role role() {
        return Role.TOKENIZER;
    }

    @Override
    public Class<HfTokenizerConfig> configType() {
        return HfTokenizerConfig.class;
    }

    @Override
    public String configFile() {
        return "tokenizer_config.json";
    }

    /** transformers' class for a tokenizer that is only a {@code tokenizer.json} (a diffusers folder may name it). */
    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("PreTrainedTokenizerFast");
    }

    /** tokenizer_config.json keys are read by the tokenizer itself; YAML keys override them. */
    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return null;
    }

    /** {@code vocab_size}: one more than the largest id of tokenizer.json (vocabulary and added tokens). */
    @Override
    public java.util.Map<String, Long> dimensions(HfTokenizerConfig config, Path directory) {
        if (directory == null) {
            return java.util.Map.of();
        }
        Path file = (Files.isRegularFile(directory) ? directory.getParent() : directory).resolve(config.file());
        if (!Files.isRegularFile(file)) {
            return java.util.Map.of();
        }
        long largest = HfTokenizer.readVocab(file).values().stream().mapToLong(Long::longValue).max().orElse(-1);
        return largest < 0 ? java.util.Map.of() : java.util.Map.of("vocab_size", largest + 1);
    }

    @Override
    public Tokenizer create(HfTokenizerConfig config, ComponentContext context) {
        if (context.directory() == null) {
            throw new ConfigException(ConfigNode.Origin.UNKNOWN, "", "no directory to read tokenizer.json from: set "
                    + "'checkpoint:' (or 'weights:' for a sub-folder)", null);
        }
        return load(context.directory(), config, context.checkpointConfig());
    }

    /** Loads {@code dir}'s tokenizer; {@code tokenizerConfig} is its tokenizer_config.json or null. */
    public static HfTokenizer load(Path dir, HfTokenizerConfig config, JsonObject tokenizerConfig) {
        Path base = Files.isRegularFile(dir) ? dir.getParent() : dir;
        Path file = base.resolve(config.file());
        SpecialTokens special = SpecialTokens.read(base, tokenizerConfig);
        Boolean addBos = config.addBosToken() != null ? config.addBosToken() : bool(tokenizerConfig, "add_bos_token");
        Boolean addEos = config.addEosToken() != null ? config.addEosToken() : bool(tokenizerConfig, "add_eos_token");
        Boolean cleanUp = bool(tokenizerConfig, "clean_up_tokenization_spaces");
        ChatTemplate template = chatTemplate(base, config, tokenizerConfig);
        return new HfTokenizer(HfTokenizer.openNative(file), HfTokenizer.readVocab(file), special, addBos, addEos,
                Boolean.TRUE.equals(cleanUp), template, modelMaxLength(tokenizerConfig));
    }

    /**
     * The chat template, by precedence: YAML {@code chat_template}, {@code chat_template.jinja},
     * {@code chat_template} of tokenizer_config.json (a string, or a list of named templates),
     * {@code chat_template.json} (processor layout).
     */
    static ChatTemplate chatTemplate(Path dir, HfTokenizerConfig config, JsonObject tokenizerConfig) {
        if (config.chatTemplate() != null) {
            return new ChatTemplate(config.chatTemplate(), "the YAML chat_template");
        }
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return new ChatTemplate(Files.readString(jinja), jinja.toString());
            } catch (IOException e) {
                throw new ConfigException(jinja.toString(), 0, 0, "", "cannot read: " + e.getMessage(), null);
            }
        }
        JsonElement t = tokenizerConfig == null ? null : tokenizerConfig.get("chat_template");
        String source = dir.resolve("tokenizer_config.json").toString();
        if (t == null || t.isJsonNull()) {
            Path processor = dir.resolve("chat_template.json");
            if (!Files.isRegularFile(processor)) {
                return null;
            }
            t = JsonConfig.read(processor).get("chat_template");
            source = processor.toString();
        }
        if (t != null && t.isJsonPrimitive()) {
            return new ChatTemplate(t.getAsString(), source);
        }
        if (t != null && t.isJsonArray()) {
            for (JsonElement named : t.getAsJsonArray()) {
                JsonObject o = named.getAsJsonObject();
                if (o.get("name").getAsString().equals(config.chatTemplateName())) {
                    return new ChatTemplate(o.get("template").getAsString(), source + " (" + config.chatTemplateName() + ")");
                }
            }
            throw new ConfigException(source, 0, 0, "chat_template_name", "no chat template named '"
                    + config.chatTemplateName() + "'", t.getAsJsonArray().asList().stream()
                    .map(n -> n.getAsJsonObject().get("name").getAsString()).toList());
        }
        return null;
    }

    /** {@code model_max_length}; transformers writes a huge float (1e30) for "none", read as unlimited. */
    private static int modelMaxLength(JsonObject tokenizerConfig) {
        JsonElement e = tokenizerConfig == null ? null : tokenizerConfig.get("model_max_length");
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return Integer.MAX_VALUE;
        }
        double v = e.getAsDouble();
        return v >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) v;
    }

    private static Boolean bool(JsonObject json, String key) {
        JsonElement e = json == null ? null : json.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() ? e.getAsBoolean() : null;
    }

    @Override
    public String description() {
        return "Hugging Face tokenizer.json (Rust tokenizers via DJL) with special tokens and chat template";
    }
}
