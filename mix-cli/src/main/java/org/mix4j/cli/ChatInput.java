package org.mix4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicBoolean;

/** Where {@code mix chat} reads the user's lines, and how Ctrl-C reaches an answer being written. */
interface ChatInput extends AutoCloseable {

    /** The next line, or {@code null} at the end of input; Ctrl-C while typing gives {@code ""}. */
    String readLine(String prompt);

    /** Until the returned handle closes, Ctrl-C sets {@code stop} instead of ending the program. */
    AutoCloseable stopOnInterrupt(AtomicBoolean stop);

    @Override
    default void close() {
    }

    /** Plain lines from a pipe or file: no editing, no history, Ctrl-C keeps its default meaning. */
    final class Plain implements ChatInput {
        private final BufferedReader in;
        private final PrintWriter out;

        Plain(BufferedReader in, PrintWriter out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public String readLine(String prompt) {
            out.print(prompt);
            out.flush();
            try {
                return in.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException("reading standard input: " + e.getMessage(), e);
            }
        }

        @Override
        public AutoCloseable stopOnInterrupt(AtomicBoolean stop) {
            return () -> { };
        }
    }
}
