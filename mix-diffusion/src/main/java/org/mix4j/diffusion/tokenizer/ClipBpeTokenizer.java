package org.mix4j.diffusion.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.api.Tokenizer;

/**
 * CLIP's byte-level BPE tokenizer: Radford et al., "Learning Transferable Visual Models From Natural
 * Language Supervision" (2021), as transformers' slow {@code CLIPTokenizer} runs it without ftfy.
 * Order: added (special) tokens are split out literally; each remaining piece is cleaned
 * ({@link ClipTextCleaner}), split by CLIP's regex, byte-encoded ({@link ByteAlphabet}), given a
 * {@code </w>} end-of-word marker on its last symbol and merged by BPE rank.
 */
public final class ClipBpeTokenizer implements Tokenizer {

    /** CLIP's pre-tokenization regex (case-insensitive in the reference; the text is already lower case). */
    private static final Pattern WORDS = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);
    private static final String END_OF_WORD = "</w>";
    private static final int CACHE_LIMIT = 100_000;

    private final Map<String, Integer> encoder;
    private final Map<Integer, String> decoder = new HashMap<>();
    /** Merge rank by {@code "first second"}. */
    private final Map<String, Integer> ranks;
    /** Added tokens by content, longest first for matching. */
    private final Map<String, AddedToken> added = new LinkedHashMap<>();
    private final Map<String, Integer> addedIds = new HashMap<>();
    private final Set<Integer> specialIds = new HashSet<>();
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final int padId;
    private final int modelMaxLength;
    private final Map<String, String[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab token -> id ({@code vocab.json})
     * @param merges merge pairs in rank order ({@code merges.txt} without its header)
     * @param addedTokens id -> token of {@code added_tokens_decoder}
     * @param special the special tokens; those not yet known get ids after the vocabulary
     * @param modelMaxLength {@code model_max_length}, for callers choosing a padding length
     */
    public ClipBpeTokenizer(Map<String, Integer> vocab, List<String[]> merges, Map<Integer, AddedToken> addedTokens,
            SpecialTokens special, int modelMaxLength) {
        this.encoder = Map.copyOf(vocab);
        vocab.forEach((token, id) -> decoder.put(id, token));
        this.ranks = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            ranks.putIfAbsent(merges.get(i)[0] + " " + merges.get(i)[1], i);
        }
        List<Map.Entry<String, Integer>> entries = new ArrayList<>();
        Map<String, AddedToken> byContent = new HashMap<>();
        addedTokens.forEach((id, token) -> {
            entries.add(Map.entry(token.content(), id));
            byContent.put(token.content(), token);
        });
        // transformers adds the special tokens not yet among the added ones: vocabulary id if any,
        // else the next free id
        int nextId = vocab.size() + (int) addedTokens.keySet().stream().filter(id -> !decoder.containsKey(id)).count();
        for (AddedToken token : special.all()) {
            if (byContent.containsKey(token.content())) {
                continue;
            }
            Integer id = vocab.get(token.content());
            entries.add(Map.entry(token.content(), id != null ? id : nextId++));
            byContent.put(token.content(), token);
        }
        entries.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> e.getKey().length()).reversed());
        for (Map.Entry<String, Integer> e : entries) {
            added.put(e.getKey(), byContent.get(e.getKey()));
            addedIds.put(e.getKey(), e.getValue());
            decoder.putIfAbsent(e.getValue(), e.getKey());
        }
        this.bosId = addedIds.get(special.bos().content());
        this.eosId = addedIds.get(special.eos().content());
        this.unkId = addedIds.get(special.unk().content());
        this.padId = addedIds.get(special.pad().content());
        special.all().forEach(t -> specialIds.add(addedIds.get(t.content())));
        this.modelMaxLength = modelMaxLength;
    }

    /** {@code model_max_length} of the tokenizer config (77 for CLIP). */
    @Override
    public int modelMaxLength() {
        return modelMaxLength;
    }

    public int padId() {
        return padId;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    /** Vocabulary plus added tokens. */
    public int size() {
        return decoder.size();
    }

    /** {@code <|startoftext|>}, the BPE ids, {@code <|endoftext|>}; no truncation. */
    @Override
    public long[] encode(String text) {
        long[] raw = encodeRaw(text);
        long[] ids = new long[raw.length + 2];
        ids[0] = bosId;
        System.arraycopy(raw, 0, ids, 1, raw.length);
        ids[ids.length - 1] = eosId;
        return ids;
    }

    @Override
    public long[] encodeRaw(String text) {
        List<Long> ids = new ArrayList<>();
        for (Piece piece : splitOnAddedTokens(text)) {
            if (piece.added()) {
                ids.add((long) addedIds.get(piece.text()));
                continue;
            }
            Matcher m = WORDS.matcher(ClipTextCleaner.clean(piece.text()));
            while (m.find()) {
                for (String symbol : bpe(ByteAlphabet.encode(m.group()))) {
                    ids.add((long) encoder.getOrDefault(symbol, unkId));
                }
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Rows of {@code <|startoftext|>} + BPE ids + {@code <|endoftext|>}; content beyond
     * {@code maxLength - 2} ids is cut so the end token stays; right-padded with the pad id. The mask
     * is 1 on every real id, start and end included.
     */
    @Override
    public TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2 to hold the start and end tokens, got " + maxLength);
        }
        long[][] ids = new long[texts.size()][maxLength];
        long[][] mask = new long[texts.size()][maxLength];
        for (int b = 0; b < texts.size(); b++) {
            long[] raw = encodeRaw(texts.get(b));
            int content = Math.min(raw.length, maxLength - 2);
            Arrays.fill(ids[b], padId);
            ids[b][0] = bosId;
            System.arraycopy(raw, 0, ids[b], 1, content);
            ids[b][content + 1] = eosId;
            Arrays.fill(mask[b], 0, content + 2, 1L);
        }
        return new TokenizedBatch(ids, mask);
    }

    /** Byte-decodes the tokens and turns each {@code </w>} into a space; trims the ends. */
    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        StringBuilder symbols = new StringBuilder();
        for (long id : ids) {
            if (skipSpecialTokens && specialIds.contains((int) id)) {
                continue;
            }
            String token = decoder.get((int) id);
            if (token == null) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size " + size() + ")");
            }
            symbols.append(token);
        }
        return ByteAlphabet.decode(symbols.toString()).replace(END_OF_WORD, " ").strip();
    }

    @Override
    public OptionalLong tokenId(String token) {
        Integer id = addedIds.containsKey(token) ? addedIds.get(token) : encoder.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** A stretch of text, or one added token matched literally. */
    private record Piece(String text, boolean added) {}

    /**
     * The text cut at every added token (leftmost, longest first); the tokens themselves are pieces
     * of their own. An added token's lstrip/rstrip trims the whitespace of its neighbours; empty
     * text pieces are dropped.
     */
    private List<Piece> splitOnAddedTokens(String text) {
        List<Piece> pieces = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String match = null;
            for (String token : added.keySet()) {
                if (text.startsWith(token, i)) {
                    match = token;
                    break;
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            pieces.add(new Piece(text.substring(start, i), false));
            pieces.add(new Piece(match, true));
            i += match.length();
            start = i;
        }
        pieces.add(new Piece(text.substring(start), false));
        for (int p = 0; p < pieces.size(); p++) {
            if (!pieces.get(p).added()) {
                continue;
            }
            AddedToken token = added.get(pieces.get(p).text());
            if (token.rstrip() && p + 1 < pieces.size() && !pieces.get(p + 1).added()) {
                pieces.set(p + 1, new Piece(stripLeading(pieces.get(p + 1).text()), false));
            }
            if (token.lstrip() && p > 0 && !pieces.get(p - 1).added()) {
                pieces.set(p - 1, new Piece(stripTrailing(pieces.get(p - 1).text()), false));
            }
        }
        pieces.removeIf(piece -> !piece.added() && piece.text().isEmpty());
        return pieces;
    }

    /**
     * BPE by merge rank: repeatedly merge every occurrence of the best-ranked adjacent pair until no
     * ranked pair is left. Results are cached per word.
     */
    private String[] bpe(String word) {
        String[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length() - 1; i++) {
            symbols.add(String.valueOf(word.charAt(i)));
        }
        symbols.add(word.charAt(word.length() - 1) + END_OF_WORD);
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestFirst = null;
            String bestSecond = null;
            for (int i = 0; i < symbols.size() - 1; i++) {
                Integer rank = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestFirst = symbols.get(i);
                    bestSecond = symbols.get(i + 1);
                }
            }
            if (bestFirst == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i < symbols.size() - 1 && symbols.get(i).equals(bestFirst) && symbols.get(i + 1).equals(bestSecond)) {
                    merged.add(bestFirst + bestSecond);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        String[] result = symbols.toArray(new String[0]);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, result);
        return result;
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && ClipTextCleaner.isPythonSpace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && ClipTextCleaner.isPythonSpace(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(0, i);
    }
}
