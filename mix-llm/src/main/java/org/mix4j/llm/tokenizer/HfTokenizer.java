package org.mix4j.llm.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.mix4j.api.Component;
import org.mix4j.api.Tokenizer;
import org.mix4j.weights.CheckpointException;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) run by the Rust tokenizers library through
 * DJL, with the special-token conventions of {@code tokenizer_config.json}: named special tokens,
 * {@code add_bos_token} / {@code add_eos_token}, {@code clean_up_tokenization_spaces} and the
 * chat template. Nothing is downloaded (see {@link Offline}).
 */
public final class HfTokenizer implements Tokenizer, Component {

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Long> vocab;
    private final SpecialTokens special;
    private final Boolean addBos;
    private final Boolean addEos;
    private final boolean cleanUpSpaces;
    private final ChatTemplate chatTemplate;
    private final int modelMaxLength;

    HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Long> vocab, SpecialTokens special, Boolean addBos,
            Boolean addEos, boolean cleanUpSpaces, ChatTemplate chatTemplate, int modelMaxLength) {
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.special = special;
        this.addBos = addBos;
        this.addEos = addEos;
        this.cleanUpSpaces = cleanUpSpaces;
        this.chatTemplate = chatTemplate;
        this.modelMaxLength = modelMaxLength;
    }

    /** Opens {@code file} of {@code dir}; the native tokenizer is freed by {@link #close()}. */
    static HuggingFaceTokenizer openNative(Path file) {
        Offline.ensure();
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": no tokenizer definition here (hf_tokenizer reads a Hugging Face "
                    + "tokenizer.json; set 'file:' if it has another name)");
        }
        try {
            // no truncation or padding: prompts are encoded whole and padded by the generator
            return HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false",
                    "addSpecialTokens", "true"));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + ": cannot load the tokenizer: " + e.getMessage());
        }
    }

    /** token -> id of {@code tokenizer.json}'s model vocabulary and added tokens. */
    static Map<String, Long> readVocab(Path file) {
        Map<String, Long> vocab = new HashMap<>();
        try (Reader reader = Files.newBufferedReader(file)) {
            JsonObject root = JsonParser.parseReader(reader).getAsJsonObject();
            JsonElement model = root.getAsJsonObject("model").get("vocab");
            if (model != null && model.isJsonObject()) {
                model.getAsJsonObject().entrySet().forEach(e -> vocab.put(e.getKey(), e.getValue().getAsLong()));
            } else if (model != null && model.isJsonArray()) { // Unigram: [[piece, score], ...]
                for (int i = 0; i < model.getAsJsonArray().size(); i++) {
                    vocab.put(model.getAsJsonArray().get(i).getAsJsonArray().get(0).getAsString(), (long) i);
                }
            }
            JsonElement added = root.get("added_tokens");
            if (added != null && added.isJsonArray()) {
                added.getAsJsonArray().forEach(t -> vocab.put(t.getAsJsonObject().get("content").getAsString(),
                        t.getAsJsonObject().get("id").getAsLong()));
            }
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + ": cannot read the vocabulary: " + e.getMessage());
        }
        return vocab;
    }

    @Override
    public long[] encode(String text) {
        long[] with = tokenizer.encode(text, true, false).getIds();
        if (addBos == null && addEos == null) {
            return with;
        }
        long[] raw = encodeRaw(text);
        OptionalLong bos = specialId("bos_token");
        OptionalLong eos = specialId("eos_token");
        boolean nativeBos = bos.isPresent() && with.length > raw.length && with[0] == bos.getAsLong();
        boolean nativeEos = eos.isPresent() && with.length > raw.length && with[with.length - 1] == eos.getAsLong();
        List<Long> out = new ArrayList<>();
        if ((addBos != null ? addBos : nativeBos) && bos.isPresent()) {
            out.add(bos.getAsLong());
        }
        Arrays.stream(raw).forEach(out::add);
        if ((addEos != null ? addEos : nativeEos) && eos.isPresent()) {
            out.add(eos.getAsLong());
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public long[] encodeRaw(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        String text = tokenizer.decode(ids, skipSpecialTokens);
        return cleanUpSpaces ? cleanUpTokenization(text) : text;
    }

    /** transformers' {@code clean_up_tokenization}: no space before punctuation and contractions. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    @Override
    public OptionalLong tokenId(String token) {
        Long id = vocab.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    @Override
    public TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
        long pad = specialId("pad_token").orElse(specialId("eos_token").orElse(0));
        long[][] ids = new long[texts.size()][maxLength];
        long[][] mask = new long[texts.size()][maxLength];
        for (int r = 0; r < texts.size(); r++) {
            long[] e = encode(texts.get(r));
            int n = Math.min(e.length, maxLength);
            Arrays.fill(ids[r], pad);
            System.arraycopy(e, 0, ids[r], 0, n);
            Arrays.fill(mask[r], 0, n, 1);
        }
        return new TokenizedBatch(ids, mask);
    }

    /** A named special token's text ({@code bos_token}, {@code eos_token}, ...), if the checkpoint has it. */
    public Optional<String> specialToken(String name) {
        return Optional.ofNullable(special.get(name));
    }

    /** A named special token's id, if it has one in the vocabulary. */
    public OptionalLong specialId(String name) {
        String token = special.get(name);
        return token == null ? OptionalLong.empty() : tokenId(token);
    }

    @Override
    public int modelMaxLength() {
        return modelMaxLength;
    }

    @Override
    public boolean hasChatTemplate() {
        return chatTemplate != null;
    }

    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** Renders a conversation with the checkpoint's chat template and the special tokens as variables. */
    public String applyChatTemplate(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        if (chatTemplate == null) {
            throw new ChatTemplateException("this tokenizer has no chat template (chat_template.jinja or chat_template in "
                    + "tokenizer_config.json); set 'prompt_template' in the pipeline YAML");
        }
        Map<String, Object> variables = new HashMap<>();
        for (String name : SpecialTokens.NAMES) {
            variables.put(name, special.get(name) == null ? "" : special.get(name));
        }
        return chatTemplate.render(messages, addGenerationPrompt, variables);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
