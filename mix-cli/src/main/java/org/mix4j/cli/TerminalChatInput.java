package org.mix4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.Terminal.SignalHandler;

/**
 * Lines from a terminal through JLine: arrow keys move and recall, history is kept in a file across
 * sessions, Ctrl-C while typing drops the line and while an answer is written stops the answer.
 */
final class TerminalChatInput implements ChatInput {

    private final Terminal terminal;
    private final LineReader reader;

    /** @param historyFile where earlier lines are kept, or {@code null} for this session only */
    TerminalChatInput(Terminal terminal, Path historyFile) {
        this.terminal = terminal;
        LineReaderBuilder builder = LineReaderBuilder.builder().terminal(terminal)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // "!" is text, not a history reference
                .option(LineReader.Option.HISTORY_IGNORE_SPACE, false);
        if (historyFile != null) {
            builder.variable(LineReader.HISTORY_FILE, historyFile);
        }
        this.reader = builder.build();
    }

    Terminal terminal() {
        return terminal;
    }

    @Override
    public String readLine(String prompt) {
        try {
            return reader.readLine(prompt);
        } catch (UserInterruptException e) {
            return "";
        } catch (EndOfFileException e) {
            return null;
        }
    }

    @Override
    public AutoCloseable stopOnInterrupt(AtomicBoolean stop) {
        SignalHandler previous = terminal.handle(Signal.INT, signal -> stop.set(true));
        return () -> terminal.handle(Signal.INT, previous);
    }

    @Override
    public void close() {
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            terminal.writer().println("warning: could not save the chat history: " + e.getMessage());
        }
        try {
            terminal.close();
        } catch (IOException e) {
            // the terminal is going away with the program
        }
    }
}
