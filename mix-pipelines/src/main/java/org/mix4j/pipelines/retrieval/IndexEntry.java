package org.mix4j.pipelines.retrieval;

/**
 * One indexed image.
 *
 * @param path path relative to the indexed folder, with {@code /} separators
 * @param size file size in bytes when it was encoded
 * @param mtimeNanos last-modified time (nanoseconds since the epoch) when it was encoded
 */
public record IndexEntry(String path, long size, long mtimeNanos) {

    public IndexEntry {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("index entry without a path");
        }
    }

    /** Whether a file with this size and modification time is the one that was encoded. */
    public boolean sameFile(long fileSize, long fileMtimeNanos) {
        return size == fileSize && mtimeNanos == fileMtimeNanos;
    }
}
