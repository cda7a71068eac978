package org.mix4j.cli;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.mix4j.config.ConfigException;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.registry.UnknownComponentException;
import org.mix4j.weights.CheckpointException;

/** One-line descriptions and exit codes for the errors users cause. */
public final class ErrorMessages {

    private ErrorMessages() {}

    public static String describe(Throwable e) {
        List<Throwable> chain = chain(e);
        for (Throwable t : chain) {
            if (t instanceof OutOfMemoryError) {
                return "out of memory: try a smaller --size or --num-images, --dtype float16, or a larger Java heap "
                        + "(MIX_JAVA_OPTS=-Xmx16g; the default is -Xmx8g)";
            }
            if (t instanceof StackOverflowError) {
                return "input nested too deeply to process (a YAML or JSON file with deeply nested lists or maps?)";
            }
            // its message is only the class name: say what it means (the classes on disk changed
            // under the running program, or a plugin jar lacks a class it needs)
            if (t instanceof NoClassDefFoundError && t.getMessage() != null) {
                return "class " + t.getMessage().replace('/', '.') + " could not be loaded: the installation changed "
                        + "while mix ran (rebuilt or replaced jars) or is incomplete; rebuild, then run again (mix train: "
                        + "--resume OUTPUT/state continues from the last saved step) (run with --debug for details)";
            }
        }
        // the outermost message written for users names the file (and key or tensor); a deeper
        // cause, e.g. ImageIO's "Invalid chunk length 255", does not
        for (Throwable t : chain) {
            if (isForUsers(t) && t.getMessage() != null) {
                return oneLine(t.getMessage());
            }
            if (t instanceof FileSystemException f && f.getFile() != null) {
                return fileProblem(f);
            }
        }
        Throwable root = chain.get(chain.size() - 1);
        String msg = null;
        for (int i = chain.size() - 1; i >= 0 && (msg == null || msg.isBlank()); i--) {
            msg = ownMessage(chain.get(i));
        }
        // the message is what a user acts on; the class name only helps a bug report, which --debug gives
        if (msg == null || msg.isBlank()) {
            msg = "internal error (" + root.getClass().getSimpleName() + ")";
        }
        return oneLine(msg) + " (run with --debug for details)";
    }

    public static int exitCode(Throwable e) {
        return e instanceof ConfigException || e instanceof CheckpointException ? 1 : 2;
    }

    /** {@code e} and its causes, outermost first. */
    private static List<Throwable> chain(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /** The message, unless it is the one {@code new RuntimeException(cause)} makes: the cause's class and message. */
    private static String ownMessage(Throwable t) {
        String msg = t.getMessage();
        return t.getCause() != null && t.getCause().toString().equals(msg) ? null : msg;
    }

    private static boolean isForUsers(Throwable t) {
        return t instanceof ConfigException || t instanceof CheckpointException || t instanceof UnknownComponentException
                || t instanceof ImageDecodeException || t instanceof IllegalArgumentException
                || t instanceof UncheckedIOException;
    }

    /** The JDK's file errors carry the path as their whole message; say what happened to it. */
    private static String fileProblem(FileSystemException f) {
        String what = f instanceof NoSuchFileException ? "no such file or directory"
                : f instanceof AccessDeniedException ? "permission denied"
                : f instanceof FileAlreadyExistsException ? "already exists"
                : f instanceof NotDirectoryException ? "not a directory"
                : f instanceof DirectoryNotEmptyException ? "directory not empty"
                : f.getReason() != null ? f.getReason() : "file system error";
        return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + what;
    }

    /** Gson appends a "See https://..." troubleshooting line to its messages; the error is the rest. */
    private static String oneLine(String message) {
        return message.lines().filter(l -> !l.startsWith("See https://github.com/google/gson"))
                .collect(Collectors.joining(" "));
    }
}
