package org.mix4j.pipelines.retrieval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Saves an index during one run. Before the run's first save replaces an index, that file is kept
 * as {@code INDEX.bak} (one generation: the index as it was before this run), next to the file a
 * symbolic link leads to. The backup is a hard link where the file system allows it, so it costs
 * no copy: the save moves a new file over the name and the link keeps the old one.
 */
final class IndexSaver {

    private final Path file;
    private boolean backedUp;

    IndexSaver(Path file) {
        this.file = file;
    }

    /** Where the previous index of {@code index} is kept. */
    static Path backupOf(Path index) throws IOException {
        Path target = AtomicFile.target(index);
        return target.resolveSibling(target.getFileName() + ".bak");
    }

    void save(IndexContents contents) {
        if (!backedUp) {
            backup();
            backedUp = true;
        }
        IndexFile.write(file, contents);
    }

    private void backup() {
        Path bak = null;
        Path tmp = null;
        try {
            Path current = AtomicFile.target(file);
            if (!Files.exists(current)) {
                return;
            }
            bak = backupOf(file);
            tmp = bak.resolveSibling("." + bak.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createLink(tmp, current);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(current, tmp, StandardCopyOption.COPY_ATTRIBUTES);
            }
            AtomicFile.move(tmp, bak);
            AtomicFile.syncFolder(bak.getParent());
        } catch (IOException e) {
            throw new IndexFileException(file, "cannot keep the previous index as " + bak + " (" + e
                    + "); nothing was written", e);
        } finally {
            deleteQuietly(tmp); // left behind when the move failed, or when bak already was this very file
        }
    }

    private static void deleteQuietly(Path tmp) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a stray hidden temp file is not worth failing the run for
        }
    }
}
