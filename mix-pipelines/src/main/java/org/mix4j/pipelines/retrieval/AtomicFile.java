package org.mix4j.pipelines.retrieval;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Replaces a file all at once: the new content goes to a temporary file in the target's folder,
 * is flushed, moved over the target and the folder is flushed too, so a crash leaves either the old
 * file or the new one. A symbolic link is written through: its target is replaced, the link stays.
 */
final class AtomicFile {

    /** Writes the content of the temporary file. */
    @FunctionalInterface
    interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    private static final int MAX_LINKS = 40;

    private AtomicFile() {}

    /** Replaces {@code file} (or the file its symbolic links lead to) with what {@code body} writes. */
    static void write(Path file, Body body) throws IOException {
        Path target = target(file);
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            tmp.toFile().deleteOnExit(); // an interrupted run (Ctrl-C) leaves no temp file behind
            keepPermissions(target, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.writeTo(ch);
                ch.force(true);
            }
            move(tmp, target);
            tmp = null;
            syncFolder(dir);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; that error is the one to report
                }
            }
        }
    }

    /**
     * The absolute path a write to {@code file} lands on: {@code file} itself, or where its chain of
     * symbolic links ends (which need not exist yet).
     */
    static Path target(Path file) throws IOException {
        Path path = file.toAbsolutePath().normalize();
        for (int hops = 0; Files.isSymbolicLink(path); hops++) {
            if (hops == MAX_LINKS) {
                throw new FileSystemException(file.toString(), null, "too many levels of symbolic links");
            }
            path = path.getParent().resolve(Files.readSymbolicLink(path)).normalize();
        }
        return path;
    }

    /** Renames {@code from} over {@code to}, atomically where the file system can. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes a rename in {@code dir} durable; platforms that cannot open a folder for this are skipped. */
    static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Windows cannot open a folder as a channel; the rename is still atomic there
        }
    }

    /** The replacement gets the old file's permissions, or rw-r--r-- (a temp file starts as rw-------). */
    private static void keepPermissions(Path target, Path tmp) throws IOException {
        if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Files.setPosixFilePermissions(tmp, Files.exists(target) ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString("rw-r--r--"));
    }
}
