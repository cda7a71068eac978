package org.mix4j.diffusion.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.ListNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.JsonConfig;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/**
 * YAML {@code type: clip_bpe}: CLIP's BPE tokenizer from a Hugging Face tokenizer folder
 * ({@code vocab.json}, {@code merges.txt}, {@code tokenizer_config.json}, {@code special_tokens_map.json}).
 */
@Extension
public final class ClipBpeFactory implements ComponentFactory<ClipBpeConfig, Tokenizer> {

    /** CLIPTokenizer reads only this many merges: 49152 tokens minus 256 bytes minus 2 specials. */
    private static final int MAX_MERGES = 49152 - 256 - 2;

    @Override
    public String type() {
        return "clip_bpe";
    }

    @Override
    public Role role() {
        return Role.TOKENIZER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("CLIPTokenizer", "CLIPTokenizerFast");
    }

    @Override
    public Class<ClipBpeConfig> configType() {
        return ClipBpeConfig.class;
    }

    @Override
    public String configFile() {
        return "tokenizer_config.json";
    }

    @Override
    public boolean hasWeights() {
        return false;
    }

    @Override
    public String description() {
        return "CLIP byte-level BPE tokenizer (transformers CLIPTokenizer, slow path)";
    }

    @Override
    public Tokenizer create(ClipBpeConfig config, ComponentContext context) {
        if (context.directory() == null) {
            throw new IllegalArgumentException("clip_bpe needs the folder holding vocab.json and merges.txt: set "
                    + "'checkpoint:' or 'weights:' (e.g. weights: tokenizer)");
        }
        Path dir = Files.isRegularFile(context.directory()) ? context.directory().getParent() : context.directory();
        Map<String, Integer> vocab = readVocab(dir.resolve(config.vocab()));
        List<String[]> merges = readMerges(dir.resolve(config.merges()));
        JsonObject checkpoint = context.checkpointConfig();
        boolean legacy = checkpoint == null || !checkpoint.has("added_tokens_decoder");
        Path mapFile = dir.resolve(config.specialTokensMap());
        MapNode specialMap = legacy && Files.isRegularFile(mapFile)
                ? JsonConfig.toNode(JsonConfig.read(mapFile), mapFile.toString()) : null;
        SpecialTokens special = new SpecialTokens(
                token(config.bosToken(), "bos_token", "<|startoftext|>", checkpoint, specialMap),
                token(config.eosToken(), "eos_token", "<|endoftext|>", checkpoint, specialMap),
                token(config.unkToken(), "unk_token", "<|endoftext|>", checkpoint, specialMap),
                token(config.padToken(), "pad_token", "<|endoftext|>", checkpoint, specialMap),
                tokens(config.additionalSpecialTokens()));
        return new ClipBpeTokenizer(vocab, merges, addedTokens(config.addedTokensDecoder()), special, config.maxLength());
    }

    /**
     * A special token: the YAML value, else (legacy configs) {@code special_tokens_map.json}, else
     * {@code tokenizer_config.json}, else the class default.
     */
    private static AddedToken token(ConfigNode bound, String key, String classDefault, JsonObject checkpoint,
            MapNode specialMap) {
        AddedToken value = bound == null ? null : parse(bound, key);
        AddedToken fromCheckpoint = null;
        if (checkpoint != null && checkpoint.has(key) && !checkpoint.get(key).isJsonNull()) {
            fromCheckpoint = parse(JsonConfig.toNode(wrap(key, checkpoint.get(key)), "tokenizer_config.json").get(key), key);
        }
        boolean fromYaml = value != null && (fromCheckpoint == null || !fromCheckpoint.equals(value));
        if (!fromYaml && specialMap != null && specialMap.get(key) != null) {
            return parse(specialMap.get(key), key);
        }
        return value != null ? value : AddedToken.of(classDefault);
    }

    private static JsonObject wrap(String key, JsonElement value) {
        JsonObject o = new JsonObject();
        o.add(key, value);
        return o;
    }

    private static List<AddedToken> tokens(ConfigNode node) {
        List<AddedToken> out = new ArrayList<>();
        if (node instanceof ListNode list) {
            list.items().forEach(item -> out.add(parse(item, "additional_special_tokens")));
        } else if (node != null && !(node instanceof Scalar s && s.value() == null)) {
            throw new IllegalArgumentException("additional_special_tokens must be a list");
        }
        return out;
    }

    private static Map<Integer, AddedToken> addedTokens(ConfigNode node) {
        Map<Integer, AddedToken> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        if (!(node instanceof MapNode map)) {
            throw new IllegalArgumentException("added_tokens_decoder must map ids to tokens");
        }
        map.entries().forEach((id, token) -> {
            try {
                out.put(Integer.parseInt(id), parse(token, "added_tokens_decoder." + id));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("added_tokens_decoder: key '" + id + "' is not a token id");
            }
        });
        return out;
    }

    /** A token written as a string or as transformers' AddedToken object. */
    private static AddedToken parse(ConfigNode node, String key) {
        if (node instanceof Scalar s && s.value() != null) {
            return AddedToken.of(String.valueOf(s.value()));
        }
        if (node instanceof MapNode m && m.get("content") instanceof Scalar c && c.value() != null) {
            return new AddedToken(String.valueOf(c.value()), flag(m, "lstrip"), flag(m, "rstrip"));
        }
        throw new IllegalArgumentException(key + " must be a token string or an object with 'content'");
    }

    private static boolean flag(MapNode m, String key) {
        return m.get(key) instanceof Scalar s && Boolean.TRUE.equals(s.value());
    }

    private static Map<String, Integer> readVocab(Path file) {
        JsonObject json = JsonConfig.read(requireFile(file, "vocab"));
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        return vocab;
    }

    /** {@code merges.txt}: the first line is the version header; later lines {@code "first second"}, in rank order. */
    private static List<String[]> readMerges(Path file) {
        String text;
        try {
            text = Files.readString(requireFile(file, "merges"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        String[] lines = text.strip().split("\n");
        List<String[]> merges = new ArrayList<>();
        for (int i = 1; i < lines.length && merges.size() < MAX_MERGES; i++) {
            String[] pair = lines[i].strip().split("\\s+");
            // a malformed line keeps its rank slot but can never match, as in the reference
            merges.add(pair.length == 2 ? pair : new String[] {"\u0000", "\u0000"});
        }
        return merges;
    }

    private static Path requireFile(Path file, String key) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " does not exist (key '" + key + "' names it relative to the "
                    + "tokenizer folder)");
        }
        return file;
    }
}
