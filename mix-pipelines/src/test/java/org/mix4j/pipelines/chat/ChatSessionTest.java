package org.mix4j.pipelines.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.RgbImage;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;
import org.mix4j.llm.TinyModels;
import org.mix4j.pipelines.chat.ChatSession.Reply;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.text.TextPipeline;

/** A conversation on the tiny chat checkpoint: cache reuse, cancelling, dropping old turns. */
class ChatSessionTest {

    @TempDir
    Path dir;

    private NDManager manager;
    private TextPipeline pipeline;

    @BeforeEach
    void setUp() throws Exception {
        manager = NDManager.newBaseManager();
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), dir.resolve(f));
        }
        TinyCheckpoint.write(dir, Files.readString(resources.resolve("config.json")), 21);
        pipeline = TextPipeline.fromCheckpoint(dir, TinyModels.loader(), manager);
    }

    @AfterEach
    void tearDown() {
        pipeline.close();
        manager.close();
    }

    private DecodingSettings greedy(int maxNew) {
        DecodingSettings s = pipeline.settings();
        return new DecodingSettings(maxNew, 0, 0, 1.0, 1.0, 0, s.eosTokenId(), List.of(), false);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** The conversation so far as messages, for a from-scratch generation. */
    private static List<Map<String, Object>> messages(List<ChatTurn> turns, String next) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatTurn t : turns) {
            out.add(message("user", t.user()));
            out.add(message("assistant", t.reply()));
        }
        out.add(message("user", next));
        return out;
    }

    @Test
    void laterTurnsPrefillOnlyWhatIsNewAndAnswerAsAFreshRunWould() {
        DecodingSettings s = greedy(3);
        try (ChatSession chat = pipeline.chat(s, 128)) {
            Reply first = chat.send("Hi", null);
            assertEquals(0, first.result().reusedPromptTokens());
            for (String next : List.of("Yo", "Ok")) {
                List<ChatTurn> before = chat.turns();
                DecodeResult fresh = pipeline.complete(messages(before, next), s, null);
                Reply r = chat.send(next, null);
                assertArrayEquals(fresh.tokens().get(0), r.result().tokens().get(0), "same answer as re-reading it all");
                assertEquals(fresh.promptTokens(), r.result().promptTokens());
                assertTrue(r.result().reusedPromptTokens() >= before.size() * 10,
                        "the earlier turns come from the cache: " + r.result().reusedPromptTokens() + " of "
                                + r.result().promptTokens());
                assertTrue(r.result().prefilledTokens() < fresh.promptTokens() / 2, "prefilled "
                        + r.result().prefilledTokens() + " of " + fresh.promptTokens());
            }
            assertEquals(3, chat.turns().size());
        }
    }

    @Test
    void cancellingKeepsThePartialReplyAndTheNextTurnStillWorks() {
        AtomicInteger pieces = new AtomicInteger();
        try (ChatSession chat = pipeline.chat(greedy(20), 128)) {
            Reply r = chat.send("Hi", List.of(), (row, text) -> pieces.incrementAndGet(), () -> true);
            assertEquals(FinishReason.CANCELLED, r.result().finishReasons().get(0));
            assertEquals(1, r.result().tokens().get(0).length, "stopped after the first token");
            assertEquals(r.text(), chat.turns().get(0).reply());
            Reply next = chat.send("Again", null);
            assertTrue(next.result().reusedPromptTokens() > 0);
            assertEquals(2, chat.turns().size());
        }
    }

    @Test
    void aFullContextDropsTheOldestTurnsAndSaysHowMany() {
        try (ChatSession chat = pipeline.chat(greedy(8), 80)) {
            int dropped = 0;
            for (int i = 0; i < 6; i++) {
                Reply r = chat.send("message number " + i, null);
                dropped += r.droppedTurns();
                assertTrue(r.result().promptTokens() + r.result().generatedTokens() <= 80);
            }
            assertTrue(dropped > 0, "some turns were dropped");
            assertEquals(6 - dropped, chat.turns().size());
            assertEquals("message number 5", chat.turns().get(chat.turns().size() - 1).user());
        }
    }

    @Test
    void aMessageTooLongForTheContextIsRefusedAndTheConversationKept() {
        try (ChatSession chat = pipeline.chat(greedy(4), 64)) {
            chat.send("Hi", null);
            List<ChatTurn> before = chat.turns();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> chat.send("x".repeat(200), null));
            assertTrue(e.getMessage().contains("context is 64 tokens"), e.getMessage());
            assertEquals(before, chat.turns());
            assertEquals(2, chat.send("Ok", null).result().finishReasons().size() + 1);
        }
    }

    @Test
    void resetForgetsTurnsAndCacheAndTheSystemPromptChangesThePrompt() {
        try (ChatSession chat = pipeline.chat(greedy(4), 128)) {
            chat.send("Hi", null);
            assertTrue(chat.cachedTokens() > 0);
            chat.reset();
            assertEquals(0, chat.cachedTokens());
            assertEquals(List.of(), chat.turns());
            Reply plain = chat.send("Hi", null);
            chat.reset();
            chat.system("You are terse.");
            Reply withSystem = chat.send("Hi", null);
            assertEquals(plain.result().promptTokens() - "a helpful assistant".length() + "terse".length(),
                    withSystem.result().promptTokens(), "the template's default system prompt is replaced");
        }
    }

    @Test
    void imagesAreRefusedByATextPipeline() {
        try (ChatSession chat = pipeline.chat(greedy(4), 128)) {
            RgbImage image = new RgbImage(2, 2, new byte[12]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> chat.send("Hi", List.of(image), null, () -> false));
            assertTrue(e.getMessage().contains("text only"), e.getMessage());
            assertEquals(List.of(), chat.turns());
        }
    }
}
