package org.mix4j.cli.bench;

import com.google.gson.JsonObject;
import java.util.Arrays;

/**
 * Summary of repeated timings in milliseconds, as every {@code mix bench} section reports them.
 *
 * @param runs number of timed repetitions (warm-up excluded)
 */
public record BenchStats(int runs, double medianMs, double minMs, double maxMs, double meanMs, double p90Ms) {

    /** Summarises {@code millis} (not modified). */
    public static BenchStats of(double[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("no timings to summarise");
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        double p90 = sorted[Math.min(n - 1, (int) Math.ceil(0.9 * n) - 1)];
        return new BenchStats(n, median, sorted[0], sorted[n - 1], Arrays.stream(sorted).average().orElse(0), p90);
    }

    /** {@code median 3.21 ms, min 3.02, max 4.90 (n=100)}. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "median %.2f ms, min %.2f, max %.2f, p90 %.2f (n=%d)", medianMs, minMs,
                maxMs, p90Ms, runs);
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("runs", runs);
        o.addProperty("median_ms", medianMs);
        o.addProperty("min_ms", minMs);
        o.addProperty("max_ms", maxMs);
        o.addProperty("mean_ms", meanMs);
        o.addProperty("p90_ms", p90Ms);
        return o;
    }
}
