package org.mix4j.data.ops;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;

/**
 * {@code mix data split}: train/val/test (any names) by ratios. A sample's part is decided by a
 * seeded hash of the sample itself (its {@code id} when it has one, else its images and messages),
 * never by its position, so adding, removing or reordering other samples moves no sample to
 * another part, and the same sample in another file lands in the same part.
 */
public final class Splitting {

    /** One output and its share. */
    public record Part(String name, double ratio, Path file) {}

    private Splitting() {}

    public static RunReport split(DataRun run, Path in, List<Part> parts, long seed) {
        List<Double> ratios = parts.stream().map(Part::ratio).toList();
        double sum = ratios.stream().mapToDouble(Double::doubleValue).sum();
        List<Path> inputs = List.of(in);
        parts.forEach(p -> SampleWriter.checkNotAnInput(p.file(), inputs));
        RunReport report = new RunReport("split").put("seed", seed);
        List<SampleWriter> writers = new ArrayList<>();
        try (SampleReader r = run.open(in)) {
            for (Part p : parts) {
                writers.add(run.create(p.file(), r.format(), inputs));
            }
            while (r.hasNext()) {
                Sample s = r.next();
                run.write(writers.get(part(s, ratios, sum, seed)), s);
                run.tick(r);
            }
            writers.forEach(SampleWriter::commit);
            report.input(in, r.recordsRead());
            for (SampleWriter w : writers) {
                report.output(w.target(), w.written());
            }
        } finally {
            writers.forEach(SampleWriter::close);
        }
        return report.bad(run.bad());
    }

    /**
     * The index of the part {@code s} belongs to among parts of these {@code ratios} (summing to
     * {@code sum}): a function of the sample and the seed alone, so a Spark job splits the same way.
     */
    public static int part(Sample s, List<Double> ratios, double sum, long seed) {
        double u = unit(seed, key(s)) * sum;
        for (int i = 0; i < ratios.size() - 1; i++) {
            u -= ratios.get(i);
            if (u < 0) {
                return i;
            }
        }
        return ratios.size() - 1;
    }

    /** What identifies a sample whatever its file, position or format. */
    static String key(Sample s) {
        com.google.gson.JsonElement id = s.extraObject().get("id");
        if (id != null && !id.isJsonNull()) {
            return "id\u0000" + id;
        }
        StringBuilder b = new StringBuilder("content");
        s.images().forEach(i -> b.append('\u0000').append(i));
        s.turns().forEach(t -> b.append('\u0001').append(t.role()).append('\u0000').append(t.text()));
        return b.toString();
    }

    /** A uniform number in [0, 1) from the seed and the key (SHA-256). */
    static double unit(long seed, String key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(8).putLong(seed).array());
            sha.update(key.getBytes(StandardCharsets.UTF_8));
            return (ByteBuffer.wrap(sha.digest()).getLong() >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
