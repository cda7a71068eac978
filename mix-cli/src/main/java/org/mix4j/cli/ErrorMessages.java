package org.mix4j.cli;

import org.mix4j.config.ConfigException;
import org.mix4j.registry.UnknownComponentException;
import org.mix4j.weights.CheckpointException;

/** One-line descriptions and exit codes for the errors users cause. */
public final class ErrorMessages {

    private ErrorMessages() {}

    public static String describe(Throwable e) {
        if (e instanceof ConfigException || e instanceof CheckpointException || e instanceof UnknownComponentException
                || e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException) {
            return e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        // the message is what a user acts on; the class name only helps a bug report, which --debug gives
        String msg = root.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = "internal error (" + root.getClass().getSimpleName() + ")";
        }
        return msg + " (run with --debug for details)";
    }

    public static int exitCode(Throwable e) {
        return e instanceof ConfigException || e instanceof CheckpointException ? 1 : 2;
    }
}
