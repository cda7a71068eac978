package org.mix4j.pipelines.retrieval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mix4j.api.ProgressListener;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.ImageFolder.ImageFile;

/**
 * Builds or updates an index of a folder of images. Files whose size and modification time match
 * their entry keep their embedding; new and changed files are encoded in batches; entries whose
 * file is gone are dropped, but only where the folder could be listed ({@link IndexPlan}), and a run
 * that would drop more than half of the entries, or keep entries of missing folders under a new
 * root, is refused unless {@code prune} confirms it. An
 * image that fails in any way (decoding, size, preprocessing, the encoder) is reported by name and
 * left out ({@link BatchEncoder}). The index is written atomically at the end and, during long runs, every
 * {@code saveInterval}, so an interrupted run keeps what it had finished and never corrupts the
 * file; the index the run started from is kept as {@code INDEX.bak} ({@link IndexSaver}).
 */
public final class Indexer {

    /** A file left out, with the reason. */
    public record Skipped(String path, String reason) {}

    /**
     * Entries kept although their files were not seen.
     *
     * @param path the folder (or file) that could not be seen, absolute
     * @param missing the folder is not there (an unmounted drive, a wrong path); otherwise it cannot be read
     */
    public record Held(String path, boolean missing, int entries) {

        public String describe() {
            return "kept " + entries + (entries == 1 ? " entry" : " entries") + " under " + path + ": "
                    + (missing ? "the folder is missing (if it was deleted, run again with --prune to drop them)"
                            : "it cannot be read");
        }
    }

    /** What a run did. */
    public record Result(IndexContents contents, int added, int updated, int removed, int unchanged,
            List<Held> held, List<Skipped> skipped, boolean written) {

        public String summary() {
            int kept = held.stream().mapToInt(Held::entries).sum();
            return String.format("%d images indexed: %d added, %d updated, %d removed, %d unchanged, %d skipped%s",
                    contents.count(), added, updated, removed, unchanged, skipped.size(),
                    kept == 0 ? "" : ", " + kept + " kept unseen");
        }

        /** Files were left out and none of the images under the folder is in the index. */
        public boolean nothingIndexed() {
            return !skipped.isEmpty() && added + updated + unchanged == 0;
        }
    }

    private final ImageEmbedder embedder;
    private final ImageDecoder decoder;
    private final int batchSize;
    private final Duration saveInterval;
    private final ProgressListener progress;
    private final Consumer<Skipped> onSkip;

    /**
     * @param saveInterval how often a long run saves what it has; {@link Duration#ZERO}: only at the end
     * @param onSkip told of every file left out, as it happens
     */
    public Indexer(ImageEmbedder embedder, ImageDecoder decoder, int batchSize, Duration saveInterval,
            ProgressListener progress, Consumer<Skipped> onSkip) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
        }
        this.embedder = embedder;
        this.decoder = decoder;
        this.batchSize = batchSize;
        this.saveInterval = saveInterval;
        this.progress = progress;
        this.onSkip = onSkip;
    }

    /** Indexes {@code folder} into {@code indexFile}, extending the index there if it exists, without pruning. */
    public Result index(Path folder, Path indexFile) {
        return index(folder, indexFile, false);
    }

    /**
     * Indexes {@code folder} into {@code indexFile}, extending the index there if it exists.
     *
     * @param prune confirms that files are really gone: a run may remove more than half of the
     *     entries (or index another folder than the last run), and entries under a missing
     *     sub-folder are removed instead of kept
     */
    public Result index(Path folder, Path indexFile, boolean prune) {
        return index(ImageFolder.scan(folder), folder, indexFile, prune);
    }

    /** {@link #index(Path, Path, boolean)} over a scan already made (tests hide folders from it). */
    Result index(ImageFolder.Scan scan, Path folder, Path indexFile, boolean prune) {
        ModelFingerprint model = embedder.fingerprint();
        IndexContents old = Files.exists(indexFile) ? IndexFile.read(indexFile) : null;
        if (old != null && !old.model().sameModel(model)) {
            throw new IndexFileException(indexFile, "was built with " + old.model().describe() + ", but this pipeline's "
                    + "image encoder is " + model.describe() + "; embeddings of two models cannot be mixed: write to a "
                    + "new index file or delete this one");
        }
        String root = folder.toAbsolutePath().normalize().toString();
        IndexPlan plan = IndexPlan.of(old, scan, prune, root);
        if (!prune && old != null) {
            refuseLosses(old, plan, root, indexFile);
        }
        List<Skipped> skipped = new ArrayList<>(scan.unreadable());
        scan.unreadable().forEach(onSkip);

        TreeMap<String, IndexRow> rows = plan.kept();
        Set<String> replaced = plan.replaced();
        int held = plan.held().stream().mapToInt(Held::entries).sum();
        int unchanged = rows.size() - held;
        IndexSaver saver = new IndexSaver(indexFile);
        encode(plan.todo(), rows, skipped, model, root, saver);
        IndexContents contents = IndexBuilder.contents(model, root, rows);
        int updated = (int) replaced.stream().filter(rows::containsKey).count();
        int added = rows.size() - held - unchanged - updated;
        // a changed file that no longer decodes loses its old entry too
        int removed = plan.gone().size() + replaced.size() - updated;
        boolean changed = old == null || added + updated + removed > 0 || !root.equals(old.root());
        if (changed) {
            saver.save(contents);
        }
        return new Result(contents, added, updated, removed, unchanged, plan.held(), List.copyOf(skipped), changed);
    }

    /**
     * Stops a run, before anything is encoded or written, that would remove more than half of the
     * entries, or keep entries of folders missing from a new root (they would point into the wrong folder).
     */
    private static void refuseLosses(IndexContents old, IndexPlan plan, String root, Path indexFile) {
        if (2L * plan.gone().size() > old.count()) {
            throw new IndexFileException(indexFile, "this run would remove " + plan.gone().size() + " of the "
                    + old.count() + " entries, whose files are not in " + root + "; nothing was written. Check that "
                    + "it is the folder this index was made from and that its drive is mounted; if the files were "
                    + "deleted, run again with --prune");
        }
        if (!old.root().isEmpty() && !old.root().equals(root)
                && plan.held().stream().anyMatch(Held::missing)) {
            throw new IndexFileException(indexFile, "was made from " + old.root() + ", and "
                    + plan.held().stream().filter(Held::missing).map(Held::path).toList() + " are missing from "
                    + root + "; nothing was written, as their entries would point into the wrong folder. Index "
                    + old.root() + " again, or run again with --prune to drop them");
        }
    }

    /** Encodes {@code todo} batch by batch into {@code rows}, saving every {@code saveInterval}. */
    private void encode(List<ImageFile> todo, TreeMap<String, IndexRow> rows, List<Skipped> skipped,
            ModelFingerprint model, String root, IndexSaver saver) {
        BatchEncoder encoder = new BatchEncoder(embedder, decoder, onSkip);
        long lastSave = System.nanoTime();
        progress.start("indexing", todo.size());
        try {
            for (int from = 0; from < todo.size(); from += batchSize) {
                List<ImageFile> batch = todo.subList(from, Math.min(todo.size(), from + batchSize));
                encoder.encode(batch, rows, skipped);
                progress.advance(batch.size());
                boolean more = from + batchSize < todo.size();
                if (more && !saveInterval.isZero() && System.nanoTime() - lastSave >= saveInterval.toNanos()) {
                    saver.save(IndexBuilder.contents(model, root, rows));
                    lastSave = System.nanoTime();
                }
            }
        } finally {
            progress.finish();
        }
    }
}
