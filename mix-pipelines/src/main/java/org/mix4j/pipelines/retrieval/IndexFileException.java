package org.mix4j.pipelines.retrieval;

import java.nio.file.Path;

/** An index file that is missing, unreadable, corrupt, or made for another model; names the file. */
public final class IndexFileException extends RuntimeException {

    private final transient Path file;

    public IndexFileException(Path file, String problem) {
        this(file, problem, null);
    }

    public IndexFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
