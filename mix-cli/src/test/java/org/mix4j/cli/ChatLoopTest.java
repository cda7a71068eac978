package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.junit.jupiter.api.Test;

/** mix chat's terminal input: line editing, history, Ctrl-C. */
class ChatLoopTest {

    private static Terminal terminal(PipedInputStream in) throws Exception {
        return TerminalBuilder.builder().system(false).type("xterm").streams(in, new ByteArrayOutputStream())
                .encoding(StandardCharsets.UTF_8).build();
    }

    @Test
    void arrowKeysEditTheLineAndRecallHistoryInsteadOfTypingEscapeCodes() throws Exception {
        PipedInputStream in = new PipedInputStream();
        try (PipedOutputStream keys = new PipedOutputStream(in);
                TerminalChatInput input = new TerminalChatInput(terminal(in), null)) {
            Terminal terminal = input.terminal();
            String left = KeyMap.key(terminal, Capability.key_left); // what the terminal's left arrow sends
            String up = KeyMap.key(terminal, Capability.key_up);
            keys.write(("abc" + left + left + "X\r" + up + "\r").getBytes(StandardCharsets.UTF_8));
            keys.flush();
            assertEquals("aXbc", input.readLine("> "));
            assertEquals("aXbc", input.readLine("> "));
        }
    }

    @Test
    void ctrlCWhileTypingDropsTheLineAndWhileAnsweringStopsTheAnswer() throws Exception {
        PipedInputStream in = new PipedInputStream();
        try (PipedOutputStream keys = new PipedOutputStream(in)) {
            Terminal terminal = terminal(in);
            try (TerminalChatInput input = new TerminalChatInput(terminal, null)) {
                CompletableFuture<String> typed = CompletableFuture.supplyAsync(() -> input.readLine("> "));
                keys.write("half a line".getBytes(StandardCharsets.UTF_8));
                keys.flush();
                Thread.sleep(300); // Ctrl-C reaches the line reader while it reads
                keys.write(3);
                keys.flush();
                assertEquals("", typed.get(10, TimeUnit.SECONDS), "Ctrl-C drops the line being typed");
                keys.write("next\r".getBytes(StandardCharsets.UTF_8));
                keys.flush();
                assertEquals("next", input.readLine("> "));
                AtomicBoolean stop = new AtomicBoolean();
                try (AutoCloseable answering = input.stopOnInterrupt(stop)) {
                    terminal.raise(Signal.INT);
                }
                assertTrue(stop.get(), "Ctrl-C during an answer sets the stop flag");
                stop.set(false);
                terminal.raise(Signal.INT); // after the answer: the handler is gone again
                assertFalse(stop.get());
            }
        }
    }

    @Test
    void plainInputPrintsThePromptAndEndsAtEndOfInput() {
        StringBuilderWriter out = new StringBuilderWriter();
        ChatInput.Plain input = new ChatInput.Plain(new java.io.BufferedReader(new java.io.StringReader("one\n")),
                new PrintWriter(out, true));
        assertEquals("one", input.readLine("> "));
        assertEquals(null, input.readLine("> "));
        assertEquals("> > ", out.toString());
    }

    private static final class StringBuilderWriter extends java.io.StringWriter {
    }
}
