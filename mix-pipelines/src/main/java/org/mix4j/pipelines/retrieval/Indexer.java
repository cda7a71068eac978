package org.mix4j.pipelines.retrieval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.ImageFolder.ImageFile;

/**
 * Builds or updates an index of a folder of images. Files whose size and modification time match
 * their entry keep their embedding; new and changed files are encoded in batches; entries whose
 * file is gone are dropped. Images that cannot be decoded are reported and left out. The index is
 * written atomically at the end and, during long runs, every {@code saveInterval}, so an
 * interrupted run keeps what it had finished and never corrupts the file.
 */
public final class Indexer {

    /** A file left out, with the reason. */
    public record Skipped(String path, String reason) {}

    /** What a run did. */
    public record Result(IndexContents contents, int added, int updated, int removed, int unchanged,
            List<Skipped> skipped, boolean written) {

        public String summary() {
            return String.format("%d images indexed: %d added, %d updated, %d removed, %d unchanged, %d skipped",
                    contents.count(), added, updated, removed, unchanged, skipped.size());
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

    /** Indexes {@code folder} into {@code indexFile}, extending the index there if it exists. */
    public Result index(Path folder, Path indexFile) {
        ModelFingerprint model = embedder.fingerprint();
        IndexContents old = Files.exists(indexFile) ? IndexFile.read(indexFile) : null;
        if (old != null && !old.model().sameModel(model)) {
            throw new IndexFileException(indexFile, "was built with " + old.model().describe() + ", but this pipeline's "
                    + "image encoder is " + model.describe() + "; embeddings of two models cannot be mixed: write to a "
                    + "new index file or delete this one");
        }
        String root = folder.toAbsolutePath().normalize().toString();
        ImageFolder.Scan scan = ImageFolder.scan(folder);
        List<Skipped> skipped = new ArrayList<>(scan.unreadable());
        scan.unreadable().forEach(onSkip);

        Plan plan = Plan.of(old, scan.images());
        TreeMap<String, Row> rows = plan.kept();
        List<ImageFile> todo = plan.todo();
        Set<String> replaced = plan.replaced();
        int unchanged = rows.size();

        encode(todo, rows, skipped, model, root, indexFile);
        IndexContents contents = contents(model, root, rows);
        int updated = (int) replaced.stream().filter(rows::containsKey).count();
        int added = rows.size() - unchanged - updated;
        // a changed file that no longer decodes loses its old entry too
        int removed = plan.gone() + replaced.size() - updated;
        boolean changed = old == null || added + updated + removed > 0 || !root.equals(old.root());
        if (changed) {
            IndexFile.write(indexFile, contents);
        }
        return new Result(contents, added, updated, removed, unchanged, List.copyOf(skipped), changed);
    }

    /** Encodes {@code todo} batch by batch into {@code rows}, saving every {@code saveInterval}. */
    private void encode(List<ImageFile> todo, TreeMap<String, Row> rows, List<Skipped> skipped, ModelFingerprint model,
            String root, Path indexFile) {
        long lastSave = System.nanoTime();
        progress.start("indexing", todo.size());
        try {
            for (int from = 0; from < todo.size(); from += batchSize) {
                List<ImageFile> batch = todo.subList(from, Math.min(todo.size(), from + batchSize));
                List<ImageFile> decodedFiles = new ArrayList<>();
                List<RgbImage> images = new ArrayList<>();
                for (ImageFile f : batch) {
                    try {
                        images.add(decoder.read(f.file()));
                        decodedFiles.add(f);
                    } catch (ImageDecodeException e) {
                        Skipped s = new Skipped(f.relative(), e.getMessage());
                        skipped.add(s);
                        onSkip.accept(s);
                    }
                }
                if (!images.isEmpty()) {
                    float[][] embeddings = embedder.embedImages(images);
                    for (int i = 0; i < decodedFiles.size(); i++) {
                        ImageFile f = decodedFiles.get(i);
                        rows.put(f.relative(), Row.of(new IndexEntry(f.relative(), f.size(), f.mtimeNanos()),
                                embeddings[i], model.dim()));
                    }
                }
                progress.advance(batch.size());
                boolean more = from + batchSize < todo.size();
                if (more && !saveInterval.isZero() && System.nanoTime() - lastSave >= saveInterval.toNanos()) {
                    IndexFile.write(indexFile, contents(model, root, rows));
                    lastSave = System.nanoTime();
                }
            }
        } finally {
            progress.finish();
        }
    }

    private static IndexContents contents(ModelFingerprint model, String root, TreeMap<String, Row> rows) {
        int dim = model.dim();
        short[] matrix = new short[Math.multiplyExact(rows.size(), dim)];
        List<IndexEntry> entries = new ArrayList<>(rows.size());
        int r = 0;
        for (Row row : rows.values()) {
            System.arraycopy(row.values(), row.offset(), matrix, r++ * dim, dim);
            entries.add(row.entry());
        }
        return new IndexContents(model, root, entries, matrix);
    }

    /**
     * What a run has to do: the entries kept as they are (same size and mtime), the files to encode,
     * which of those replace an entry, and how many entries lost their file.
     */
    private record Plan(TreeMap<String, Row> kept, List<ImageFile> todo, Set<String> replaced, int gone) {

        static Plan of(IndexContents old, List<ImageFile> files) {
            Map<String, Integer> oldRows = new HashMap<>();
            for (int i = 0; old != null && i < old.count(); i++) {
                oldRows.put(old.entries().get(i).path(), i);
            }
            TreeMap<String, Row> kept = new TreeMap<>();
            List<ImageFile> todo = new ArrayList<>();
            Set<String> replaced = new HashSet<>();
            for (ImageFile f : files) {
                Integer row = oldRows.remove(f.relative());
                if (row != null && old.entries().get(row).sameFile(f.size(), f.mtimeNanos())) {
                    kept.put(f.relative(), new Row(old.entries().get(row), old.embeddings(), row * old.dim()));
                } else {
                    if (row != null) {
                        replaced.add(f.relative());
                    }
                    todo.add(f);
                }
            }
            return new Plan(kept, todo, replaced, oldRows.size());
        }
    }

    /** An entry and where its fp16 embedding lives ({@code dim} values of {@code values} from {@code offset}). */
    private record Row(IndexEntry entry, short[] values, int offset) {

        static Row of(IndexEntry entry, float[] embedding, int dim) {
            if (embedding.length != dim) {
                throw new IllegalStateException("the encoder returned an embedding of width " + embedding.length
                        + ", expected " + dim);
            }
            short[] half = new short[dim];
            for (int i = 0; i < dim; i++) {
                half[i] = Fp16.fromFloat(embedding[i]);
            }
            return new Row(entry, half, 0);
        }
    }
}
