package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

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
}
