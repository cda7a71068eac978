package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;

/** {@code mix run} and {@code mix chat} on a tiny text checkpoint directory. */
class TextCommandsTest {

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), dir.resolve(f));
        }
        TinyCheckpoint.write(dir, Files.readString(resources.resolve("config.json")), 21);
    }

    private int mix(StringWriter out, StringWriter err, String... args) {
        return Mix.run(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void mixRunGeneratesAndPrintsStats() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = mix(out, err, "run", "--model", dir.toString(), "--prompt", "Hi", "--max-new-tokens", "3", "--stats");
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("tokens/s"), err.toString());
    }

    @Test
    void mixChatReadsLinesUntilExit() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Hi\n/reset\nHello\n/exit\nnever read\n".getBytes(StandardCharsets.UTF_8)));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = mix(out, err, "chat", "--model", dir.toString(), "--max-new-tokens", "2");
            assertEquals(0, code, err.toString());
            assertEquals(4, out.toString().split("> ", -1).length - 1, "one prompt per line read: " + out);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void slashCommandsAreNotSentToTheModel() {
        InputStream stdin = System.in;
        try {
            String lines = "/help\nHi\n/system Be brief.\n/system\n/bogus\n/image a.png\n//slash\n/reset\n/exit\n";
            System.setIn(new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = mix(out, err, "chat", "--model", dir.toString(), "--max-new-tokens", "2", "--stats");
            assertEquals(0, code, err.toString());
            String e = err.toString();
            for (String expected : List.of("/system TEXT", "system prompt set", "system prompt: Be brief.",
                    "unknown command /bogus", "images need a task: understanding", "conversation cleared",
                    "reused from the cache")) {
                assertTrue(e.contains(expected), expected + " in: " + e);
            }
            assertEquals(2, e.split("\\[load ", -1).length - 1, "two messages went to the model (Hi, /slash): " + e);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void chatRefusesATooSmallContext() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, mix(out, err, "chat", "--model", dir.toString(), "--context", "1"), err.toString());
        assertTrue(err.toString().contains("--context"), err.toString());
    }

    @Test
    void inputTogetherWithPromptIsRefusedBeforeAnythingLoads() throws Exception {
        Path jsonl = dir.resolve("requests.jsonl");
        Files.writeString(jsonl, "{\"prompt\": \"Hi\"}\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, mix(out, err, "run", "--model", dir.toString(), "--input", jsonl.toString(), "--prompt", "Yo"));
        assertTrue(err.toString().contains("--input") && err.toString().contains("either"), err.toString());
        assertEquals("", out.toString(), "nothing was answered");
    }
}
