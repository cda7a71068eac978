package org.mix4j.data.records;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.mix4j.records.RecordPaths;

/**
 * Writes samples in one format to a file: a JSON array when its name ends in {@code .json}, JSONL
 * otherwise. It writes a temporary file beside the target and moves it into place on
 * {@link #commit()}, so a failed or interrupted run leaves no half-written output; closing without
 * committing deletes the temporary file. Relative image paths are rewritten against the output's
 * folder, so they still name the same files.
 */
public final class SampleWriter implements Closeable {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private final Path target;
    private final Path temp;
    private final Path outDir;
    private final Format format;
    private final String captionPrompt;
    private final boolean array;
    private final BufferedWriter out;
    private long written;
    private boolean done;

    private SampleWriter(Path target, Path temp, Format format, String captionPrompt) throws IOException {
        this.target = target;
        this.temp = temp;
        this.outDir = RecordPaths.base(target);
        this.format = format;
        this.captionPrompt = captionPrompt;
        this.array = target.getFileName().toString().endsWith(".json");
        this.out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
        if (array) {
            out.write("[");
        }
    }

    /**
     * Opens a writer for {@code target}, refusing any of {@code inputs} (a run never overwrites what it reads).
     */
    public static SampleWriter open(Path target, Format format, String captionPrompt, Collection<Path> inputs) {
        checkNotAnInput(target, inputs);
        try {
            Path dir = RecordPaths.base(target);
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            return new SampleWriter(target, temp, format, captionPrompt);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Refuses an output that is one of the inputs. */
    public static void checkNotAnInput(Path target, Collection<Path> inputs) {
        Path t = target.toAbsolutePath().normalize();
        for (Path in : inputs) {
            boolean same = t.equals(in.toAbsolutePath().normalize());
            try {
                same |= Files.exists(target) && Files.exists(in) && Files.isSameFile(target, in);
            } catch (IOException e) {
                // unreadable: the path comparison stands
            }
            if (same) {
                throw new IllegalArgumentException(target + " is an input of this run; write the output elsewhere");
            }
        }
    }

    public Format format() {
        return format;
    }

    public Path target() {
        return target;
    }

    /** Writes one sample (a {@link Format#write} failure is the caller's: the sample does not fit the format). */
    public void write(Sample s) {
        JsonObject o = record(s, format, captionPrompt, outDir);
        try {
            if (array) {
                out.write(written == 0 ? "\n" : ",\n");
            }
            GSON.toJson(o, out);
            if (!array) {
                out.write('\n');
            }
            written++;
        } catch (IOException e) {
            throw new UncheckedIOException(temp + ": cannot write: " + e.getMessage(), e);
        }
    }

    public long written() {
        return written;
    }

    /** Finishes the file and moves it into place. */
    public void commit() {
        try {
            if (array) {
                out.write(written == 0 ? "]\n" : "\n]\n");
            }
            out.close();
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Deletes the temporary file unless {@link #commit()} moved it into place. */
    @Override
    public void close() {
        if (!done) {
            try {
                out.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                throw new UncheckedIOException(temp + ": cannot delete: " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code s} as a record of {@code format} in a file in {@code outDir}: what {@link #write} writes
     * (JSONL: {@link #line}), and what a Spark job writes into its part files.
     */
    public static JsonObject record(Sample s, Format format, String captionPrompt, Path outDir) {
        return format.write(rebased(s, outDir), captionPrompt);
    }

    /** A JSONL line (without its newline) of {@code s}: {@link #record} as this writer prints it. */
    public static String line(Sample s, Format format, String captionPrompt, Path outDir) {
        return GSON.toJson(record(s, format, captionPrompt, outDir));
    }

    /** {@code s} with relative image paths made relative to the output's folder instead of the input's. */
    private static Sample rebased(Sample s, Path outDir) {
        Path from = Path.of(s.base());
        if (from.equals(outDir) || s.images().isEmpty()) {
            return s;
        }
        List<String> images = new ArrayList<>();
        for (String image : s.images()) {
            boolean keep = RecordPaths.isUrl(image) || Path.of(image).isAbsolute();
            images.add(keep ? image : outDir.relativize(RecordPaths.resolve(image, from)).toString());
        }
        return s.withImages(images);
    }
}
