package org.mix4j.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mix4j.pipelines.retrieval.EmbeddingIndex;
import org.mix4j.pipelines.retrieval.Fp16;
import org.mix4j.pipelines.retrieval.IndexContents;
import org.mix4j.pipelines.retrieval.IndexEntry;
import org.mix4j.pipelines.retrieval.IndexFile;
import org.mix4j.pipelines.retrieval.ModelFingerprint;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench retrieval}: query latency of {@link EmbeddingIndex} on a synthetic index of
 * random unit vectors, written to and read back from an index file as {@code mix search} does.
 */
@Extension
@Command(name = "retrieval", mixinStandardHelpOptions = true,
        description = "Top-k cosine search over a synthetic fp16 index of random unit vectors (query latency).")
public final class RetrievalBench extends AbstractBenchSection {

    private static final double BUDGET_MS = 20;

    @Option(names = "--count", defaultValue = "100000", description = "Index rows (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--dim", defaultValue = "512", description = "Embedding width (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--queries", defaultValue = "200", description = "Timed queries (default ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--warmup", defaultValue = "20", description = "Untimed queries first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = {"-k", "--top-k"}, defaultValue = "10", description = "Results per query (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--verify", defaultValue = "3",
            description = "Queries whose top-k is checked against an exact double-precision scan (default ${DEFAULT-VALUE}).")
    int verify;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public int order() {
        return 40;
    }

    @Override
    public void run(BenchRun run) throws IOException {
        if (count < 1 || dim < 1 || queries < 1 || warmup < 0 || k < 1) {
            throw new IllegalArgumentException("--count, --dim, --queries and -k must be positive, --warmup >= 0");
        }
        SplittableRandom random = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        IndexContents synthetic = synthetic(random);
        double buildMs = (System.nanoTime() - t0) / 1e6;
        Path file = Files.createTempFile("mix-bench-retrieval", ".index");
        try (NDManager manager = NDManager.newBaseManager()) {
            t0 = System.nanoTime();
            IndexFile.write(file, synthetic);
            double writeMs = (System.nanoTime() - t0) / 1e6;
            long fileBytes = Files.size(file);
            t0 = System.nanoTime();
            IndexContents loaded = IndexFile.read(file);
            try (EmbeddingIndex index = EmbeddingIndex.of(loaded.embeddings(), dim, manager, run.parallel())) {
                double loadMs = (System.nanoTime() - t0) / 1e6;
                List<float[]> verifyQueries = new ArrayList<>();
                double[] ms = timeQueries(index, random, verifyQueries, run.runs(queries));
                int verified = verify(index, loaded.embeddings(), verifyQueries);
                report(run, ms, buildMs, writeMs, loadMs, fileBytes, verified);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Warm-up, then {@code runs} timed searches (ms each); keeps the first {@code verify} queries. */
    private double[] timeQueries(EmbeddingIndex index, SplittableRandom random, List<float[]> verifyQueries,
            int runs) {
        for (int i = 0; i < warmup; i++) {
            index.search(unitVector(random), k);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            float[] q = unitVector(random);
            long s = System.nanoTime();
            List<EmbeddingIndex.Hit> hits = index.search(q, k);
            ms[i] = (System.nanoTime() - s) / 1e6;
            if (hits.size() != Math.min(k, count)) {
                throw new IllegalStateException("search returned " + hits.size() + " hits");
            }
            if (i < verify) {
                verifyQueries.add(q);
            }
        }
        return ms;
    }

    private IndexContents synthetic(SplittableRandom random) {
        short[] values = new short[Math.multiplyExact(count, dim)];
        List<IndexEntry> entries = new ArrayList<>(count);
        for (int r = 0; r < count; r++) {
            float[] v = unitVector(random);
            for (int i = 0; i < dim; i++) {
                values[r * dim + i] = Fp16.fromFloat(v[i]);
            }
            entries.add(new IndexEntry(String.format(Locale.ROOT, "synthetic/%08d.jpg", r), 0, 0));
        }
        return new IndexContents(new ModelFingerprint("(synthetic)", "random_unit_vectors", "0", dim), "", entries, values);
    }

    private float[] unitVector(SplittableRandom random) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return EmbeddingIndex.normalized(v);
    }

    /** Checks the index's top k against an exact scan; returns how many queries were checked. */
    private int verify(EmbeddingIndex index, short[] values, List<float[]> verifyQueries) {
        for (float[] q : verifyQueries) {
            List<EmbeddingIndex.Hit> hits = index.search(q, k);
            double[] exact = new double[count];
            for (int r = 0; r < count; r++) {
                double dot = 0;
                for (int i = 0; i < dim; i++) {
                    dot += (double) Fp16.toFloat(values[r * dim + i]) * q[i];
                }
                exact[r] = dot;
            }
            for (EmbeddingIndex.Hit hit : hits) {
                if (Math.abs(exact[hit.row()] - hit.score()) > 1e-9) {
                    throw new IllegalStateException("row " + hit.row() + ": score " + hit.score() + ", exact " + exact[hit.row()]);
                }
            }
            double kth = hits.get(hits.size() - 1).score();
            long better = java.util.Arrays.stream(exact).filter(s -> s > kth).count();
            if (better > hits.size() - 1) {
                throw new IllegalStateException(better + " rows score above the returned k-th score " + kth);
            }
        }
        return verifyQueries.size();
    }

    private void report(BenchRun run, double[] ms, double buildMs, double writeMs, double loadMs, long fileBytes,
            int verified) {
        JsonObject params = run.params();
        params.addProperty("count", count);
        params.addProperty("dim", dim);
        params.addProperty("dtype", "float16");
        params.addProperty("k", k);
        params.addProperty("warmup", warmup);
        params.addProperty("index_bytes", fileBytes);
        params.addProperty("build_ms", buildMs);
        params.addProperty("write_ms", writeMs);
        params.addProperty("load_ms", loadMs);
        params.addProperty("verified_queries", verified);
        String subject = String.format(Locale.ROOT, "%d x %d fp16 index, top-%d", count, dim, k);
        BenchStats stats = BenchStats.of(ms);
        run.add(BenchResult.of("retrieval", subject, "query latency", "ms", ms)
                .withRatio(stats.medianMs() / BUDGET_MS, "20 ms budget")
                .detail("p90_ms", stats.p90Ms())
                .detail("mean_ms", stats.meanMs()));
        run.add(BenchResult.rate("retrieval", subject, "index scan", "GB/s", ms, (double) count * dim * 2 / 1e9));
        run.note(String.format(Locale.ROOT, "index file %.1f MiB: built %.0f ms, written %.0f ms, read + loaded %.0f ms",
                fileBytes / 1048576.0, buildMs, writeMs, loadMs));
        if (verified > 0) {
            run.note("top-" + k + " of " + verified + " queries equal an exact double-precision scan");
        }
    }
}
