package org.mix4j.cli.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.mix4j.cli.ProcessMemory;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.Weights;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench weights}: loading half-precision checkpoints. Writes a synthetic safetensors file
 * of F16 (and one of BF16) matrices, loads every tensor as the loader does for a pipeline of dtype
 * {@code float32} and {@code float16}, and reports the time and the memory the process gained: a
 * per-tensor conversion keeps the peak near the loaded model's size, where converting a loaded
 * half-precision model would need both copies at once.
 */
@Extension
@Command(name = "weights", mixinStandardHelpOptions = true,
        description = "Loading F16/BF16 safetensors as float32 and float16: seconds and resident memory.")
public final class WeightsBench extends AbstractBenchSection {

    private static final long MIB = 1 << 20;

    @Option(names = "--tensors", defaultValue = "8", description = "Matrices in the file (default ${DEFAULT-VALUE}).")
    int tensors;

    @Option(names = "--size", defaultValue = "4096", description = "Each matrix is SIZE x SIZE (default ${DEFAULT-VALUE}).")
    int size;

    @Override
    public int order() {
        return 5;
    }

    @Override
    public void run(BenchRun run) throws IOException {
        if (tensors < 1 || size < 1) {
            throw new IllegalArgumentException("--tensors and --size must be positive");
        }
        Path dir = Files.createTempDirectory("mix-bench-weights");
        try {
            for (String stored : new String[] {"F16", "BF16"}) {
                Path file = dir.resolve(stored.toLowerCase(Locale.ROOT) + ".safetensors");
                writeCheckpoint(file, stored);
                long fileBytes = Files.size(file);
                run.params().addProperty(stored.toLowerCase(Locale.ROOT) + "_file_bytes", fileBytes);
                for (DataType target : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    measure(run, file, stored, target);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void measure(BenchRun run, Path file, String stored, DataType target) {
        long modelBytes = (long) tensors * size * size * target.getNumOfBytes();
        String subject = String.format(Locale.ROOT, "%s file -> %s, %d MiB", stored, target.name().toLowerCase(Locale.ROOT),
                modelBytes / MIB);
        int runs = run.runs(3);
        double[] ms = new double[runs];
        double[] peakAdded = new double[runs];
        double[] kept = new double[runs];
        for (int r = 0; r < runs; r++) {
            System.gc(); // earlier runs' mapped buffers and heap garbage out of the way
            ProcessMemory.Usage before = ProcessMemory.read();
            boolean reset = ProcessMemory.resetPeak();
            long start = System.nanoTime();
            try (NDManager manager = NDManager.newBaseManager(); Checkpoint checkpoint = Checkpoint.open(file)) {
                Weights weights = checkpoint.weights(manager, target);
                for (int i = 0; i < tensors; i++) {
                    weights.get("w" + i);
                }
                ms[r] = (System.nanoTime() - start) / 1e6;
                ProcessMemory.Usage after = ProcessMemory.read();
                peakAdded[r] = reset ? (after.peakBytes() - before.rssBytes()) / (double) MIB : Double.NaN;
                kept[r] = (after.anonBytes() - before.anonBytes()) / (double) MIB;
            }
        }
        run.add(BenchResult.of("weights", subject, "load", "ms", ms));
        run.add(BenchResult.of("weights", subject, "resident added (anon)", "MiB", kept)
                .withRatio(median(kept) * MIB / modelBytes, "model size"));
        if (!Double.isNaN(peakAdded[0])) {
            run.add(BenchResult.of("weights", subject, "peak resident added", "MiB", peakAdded)
                    .withRatio(median(peakAdded) * MIB / modelBytes, "model size"));
        }
    }

    private static double median(double[] values) {
        return BenchStats.of(values).medianMs();
    }

    /** IEEE binary16 bits of {@code v}, truncated (synthetic data needs no rounding). */
    static short half(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        if (exponent <= 0) {
            return (short) sign; // below the normal range: zero
        }
        if (exponent >= 31) {
            return (short) (sign | 0x7c00); // infinity
        }
        return (short) (sign | exponent << 10 | (bits >>> 13) & 0x3ff);
    }

    /** A safetensors file of {@code tensors} random {@code size x size} matrices in F16 or BF16. */
    private void writeCheckpoint(Path file, String dtype) throws IOException {
        long tensorBytes = (long) size * size * 2;
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < tensors; i++) {
            header.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "\"w%d\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%d,%d]}", i, dtype, size, size,
                    i * tensorBytes, (i + 1) * tensorBytes));
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        SplittableRandom random = new SplittableRandom(0);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            ByteBuffer row = ByteBuffer.allocate(size * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (long r = 0; r < (long) tensors * size; r++) {
                row.clear();
                for (int c = 0; c < size; c++) {
                    float v = (float) (random.nextGaussian() * 0.02);
                    row.putShort(dtype.equals("F16") ? half(v) : (short) (Float.floatToIntBits(v) >>> 16));
                }
                out.write(row.array());
            }
        }
    }
}
