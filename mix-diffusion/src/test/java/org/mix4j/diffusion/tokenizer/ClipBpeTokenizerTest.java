package org.mix4j.diffusion.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.api.Tokenizer.TokenizedBatch;
import org.mix4j.registry.MixSettings;

/**
 * {@code clip_bpe} on the real CLIP vocabulary of the golden fixture. Expected ids are looked up in
 * the vocabulary by their token strings, never produced by the encoder.
 */
class ClipBpeTokenizerTest {

    private static final Path DIR = Path.of(System.getProperty("mix.golden.dir"), "clip_tokenizer");
    private static MixRuntime runtime;
    private static NDManager manager;
    private static ClipBpeTokenizer tokenizer;
    private static long bos;
    private static long eos;

    @BeforeAll
    static void load() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
        tokenizer = (ClipBpeTokenizer) runtime.loader().load("clip_bpe", Role.TOKENIZER, DIR, Map.of(), manager,
                DataType.FLOAT32);
        bos = id("<|startoftext|>");
        eos = id("<|endoftext|>");
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    private static long id(String token) {
        return tokenizer.tokenId(token).orElseThrow(() -> new AssertionError("not in vocab: " + token));
    }

    private static long[] ids(String... tokens) {
        return Arrays.stream(tokens).mapToLong(ClipBpeTokenizerTest::id).toArray();
    }

    @Test
    void specialTokensHaveClipsIds() {
        assertEquals(49406, bos);
        assertEquals(49407, eos);
        assertEquals(77, tokenizer.modelMaxLength());
    }

    @Test
    void emptyStringIsStartAndEndThenPadding() {
        assertArrayEquals(new long[] {bos, eos}, tokenizer.encode(""));
        TokenizedBatch batch = tokenizer.encodeBatch(List.of(""), 77);
        assertEquals(bos, batch.ids()[0][0]);
        assertEquals(eos, batch.ids()[0][1]);
        assertEquals(eos, batch.ids()[0][76], "SD 1.x pads with <|endoftext|>");
        assertEquals(2, Arrays.stream(batch.attentionMask()[0]).sum());
    }

    @Test
    void longTextIsCutTo77KeepingTheEndToken() {
        String text = "cat ".repeat(200);
        TokenizedBatch batch = tokenizer.encodeBatch(List.of(text), 77);
        long[] row = batch.ids()[0];
        assertEquals(77, row.length);
        assertEquals(bos, row[0]);
        assertEquals(eos, row[76]);
        for (int i = 1; i < 76; i++) {
            assertEquals(id("cat</w>"), row[i]);
        }
        assertTrue(Arrays.stream(batch.attentionMask()[0]).allMatch(m -> m == 1));
        assertEquals(202, tokenizer.encode(text).length, "encode alone does not truncate");
    }

    @Test
    void wordsAreLowerCasedAndEndWithTheWordMarker() {
        assertArrayEquals(ids("a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"), tokenizer.encodeRaw("A Photo Of A CAT"));
    }

    @Test
    void apostropheContractionsAreTheirOwnTokens() {
        assertArrayEquals(ids("don</w>", "'t</w>", "stop</w>"), tokenizer.encodeRaw("don't stop"));
        assertArrayEquals(ids("we</w>", "'d</w>", "'ve</w>"), tokenizer.encodeRaw("we'd've"));
    }

    @Test
    void cjkIdeographsAreSplitApartButKanaIsNot() {
        assertArrayEquals(tokenizer.encodeRaw("東 京"), tokenizer.encodeRaw("東京"));
        assertNotEquals(Arrays.toString(tokenizer.encodeRaw("タ ワ ー")), Arrays.toString(tokenizer.encodeRaw("タワー")));
    }

    @Test
    void emojiBecomeByteTokensAndDecodeBack() {
        long[] raw = tokenizer.encodeRaw("party 🎉");
        assertArrayEquals(ids("party</w>", "ðŁİī</w>"), raw); // the four UTF-8 bytes of U+1F389 in the byte alphabet
        assertEquals("party 🎉", tokenizer.decode(raw, true));
    }

    @Test
    void zeroWidthCharactersAreDroppedAndNoBreakSpaceSeparates() {
        assertArrayEquals(tokenizer.encodeRaw("zerowidth"), tokenizer.encodeRaw("zero\u200bwidth"));
        assertArrayEquals(tokenizer.encodeRaw("non breaking"), tokenizer.encodeRaw("non\u00a0breaking"));
    }

    @Test
    void combiningMarksAreComposedFirst() {
        assertArrayEquals(tokenizer.encodeRaw("na\u00efve"), tokenizer.encodeRaw("nai\u0308ve"));
    }

    @Test
    void literalSpecialTokensInTextMapToTheirIds() {
        assertArrayEquals(new long[] {bos, id("hi</w>"), eos}, tokenizer.encodeRaw("<|startoftext|>hi<|endoftext|>"));
    }

    @Test
    void decodeSkipsSpecialTokensOnRequest() {
        long[] ids = tokenizer.encode("a photo of a cat");
        assertEquals("a photo of a cat", tokenizer.decode(ids, true));
        assertEquals("<|startoftext|>a photo of a cat <|endoftext|>", tokenizer.decode(ids, false));
    }

    @Test
    void declaredPadTokenIsSplitOutAndPads() {
        Tokenizer padZero = runtime.loader().load("clip_bpe", Role.TOKENIZER, DIR,
                Map.of("config", "pad_zero/tokenizer_config.json", "special_tokens_map", "pad_zero/special_tokens_map.json"),
                manager, DataType.FLOAT32);
        assertArrayEquals(ids("wow</w>", "!</w>"), tokenizer.encodeRaw("wow!"));
        assertArrayEquals(new long[] {id("wow</w>"), 0}, padZero.encodeRaw("wow!"));
        TokenizedBatch batch = padZero.encodeBatch(List.of("a"), 8);
        assertArrayEquals(new long[] {bos, id("a</w>"), eos, 0, 0, 0, 0, 0}, batch.ids()[0]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0, 0, 0}, batch.attentionMask()[0]);
    }

    @Test
    void yamlPadTokenOverridesTheConfig() {
        Tokenizer t = runtime.loader().load("clip_bpe", Role.TOKENIZER, DIR, Map.of("pad_token", "!"), manager,
                DataType.FLOAT32);
        assertEquals(0, t.encodeBatch(List.of("a"), 5).ids()[0][4]);
    }

    /** Configs without added_tokens_decoder (SD 1.x era): special_tokens_map.json wins, as in transformers. */
    @Test
    void legacyConfigTakesSpecialTokensFromTheMap(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        java.nio.file.Files.copy(DIR.resolve("vocab.json"), dir.resolve("vocab.json"));
        java.nio.file.Files.copy(DIR.resolve("merges.txt"), dir.resolve("merges.txt"));
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"model_max_length": 77, "pad_token": "<|endoftext|>",
                 "bos_token": {"__type": "AddedToken", "content": "<|startoftext|>", "lstrip": false, "rstrip": false}}""");
        java.nio.file.Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        Tokenizer legacy = runtime.loader().load("clip_bpe", Role.TOKENIZER, dir, Map.of(), manager, DataType.FLOAT32);
        assertArrayEquals(new long[] {bos, id("a</w>"), eos, 0}, legacy.encodeBatch(List.of("a"), 4).ids()[0]);
    }

    @Test
    void missingVocabularyNamesTheFile() {
        Exception e = assertThrows(Exception.class, () -> runtime.loader().load("clip_bpe", Role.TOKENIZER, DIR,
                Map.of("vocab", "nope.json"), manager, DataType.FLOAT32));
        assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    }

    @Test
    void batchLengthMustHoldStartAndEnd() {
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encodeBatch(List.of("a"), 1));
    }
}
