package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParseException;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import javax.imageio.IIOException;
import org.junit.jupiter.api.Test;
import org.mix4j.image.ImageDecodeException;

class ErrorMessagesTest {

    @Test
    void oneLineMessageHasNoJavaClassName() {
        RuntimeException e = new IllegalStateException("wrapped", new IOException("disk full"));
        assertEquals("disk full (run with --debug for details)", ErrorMessages.describe(e));
    }

    @Test
    void messagelessErrorSaysInternalError() {
        assertEquals("internal error (NullPointerException) (run with --debug for details)",
                ErrorMessages.describe(new RuntimeException(new NullPointerException())));
    }

    @Test
    void outOfMemorySuggestsASmallerJobOrMoreHeap() {
        String msg = ErrorMessages.describe(new OutOfMemoryError("Java heap space"));
        assertTrue(msg.startsWith("out of memory: ") && msg.contains("MIX_JAVA_OPTS=-Xmx"), msg);
        assertEquals(msg, ErrorMessages.describe(new IllegalStateException("load failed", new OutOfMemoryError())));
        assertFalse(msg.contains("Error"), msg);
    }

    @Test
    void stackOverflowSaysTheInputIsNestedTooDeeply() {
        String msg = ErrorMessages.describe(new StackOverflowError());
        assertTrue(msg.startsWith("input nested too deeply"), msg);
        assertFalse(msg.contains("StackOverflow"), msg);
    }

    /** Found when a training run's classes were rebuilt under it: the bare message was "org.mix4j.training.ModelWriter". */
    @Test
    void aClassThatCannotBeLoadedSaysTheInstallationChanged() {
        String msg = ErrorMessages.describe(new IllegalStateException("save failed",
                new NoClassDefFoundError("org/mix4j/training/ModelWriter")));
        assertTrue(msg.startsWith("class org.mix4j.training.ModelWriter could not be loaded: the installation changed"),
                msg);
        assertTrue(msg.contains("--resume"), msg);
    }

    @Test
    void keepsTheMessageNamingTheFileOverADeeperCause() {
        // ImageIO's own message names no file: walking to the root lost "cat.png"
        Throwable e = new IllegalStateException("run failed", new ImageDecodeException(
                "cat.png: cannot decode png image (corrupt or truncated?): Invalid chunk length 255",
                new IIOException("Invalid chunk length 255")));
        assertEquals("cat.png: cannot decode png image (corrupt or truncated?): Invalid chunk length 255",
                ErrorMessages.describe(e));
    }

    @Test
    void messagelessRootTakesTheNearestMessageAbove() {
        Throwable e = new RuntimeException(new IOException("reading cat.png", new EOFException()));
        assertEquals("reading cat.png (run with --debug for details)", ErrorMessages.describe(e));
    }

    @Test
    void fileSystemErrorSaysWhatHappenedToTheFile() {
        Throwable e = new UnsupportedOperationException(new NoSuchFileException("/tmp/x/model.bin"));
        assertEquals("/tmp/x/model.bin: no such file or directory", ErrorMessages.describe(e));
    }

    @Test
    void dropsGsonsTroubleshootingLine() {
        Throwable e = new JsonParseException("Unterminated string at line 1 column 13 path $\n"
                + "See https://github.com/google/gson/blob/main/Troubleshooting.md#malformed-json");
        assertEquals("Unterminated string at line 1 column 13 path $ (run with --debug for details)",
                ErrorMessages.describe(e));
        assertEquals(1, ErrorMessages.describe(new UncheckedIOException(e.getMessage(), new IOException())).lines().count());
    }
}
