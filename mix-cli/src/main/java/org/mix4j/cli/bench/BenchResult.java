package org.mix4j.cli.bench;

import com.google.gson.JsonObject;
import java.util.Arrays;

/**
 * One row of a {@code mix bench} report: a figure measured over several timed runs (median, min and
 * max of the per-run values, in {@code unit}), optionally compared with a machine figure.
 *
 * @param subject what was measured ({@code qwen2-0.5b fp32})
 * @param metric which figure ({@code decode, 64 new tokens})
 * @param ratio the median as a fraction of a reference figure, or {@code null}
 * @param ratioOf what {@code ratio} is a fraction of ({@code matmul throughput})
 * @param details further numbers for the JSON report (FLOPs, bytes); mutable until reported
 */
public record BenchResult(String section, String subject, String metric, String unit, int runs, double median,
        double min, double max, Double ratio, String ratioOf, JsonObject details) {

    /** Per-run values in {@code unit} (not modified). */
    public static BenchResult of(String section, String subject, String metric, String unit, double[] values) {
        BenchStats s = BenchStats.of(values);
        return new BenchResult(section, subject, metric, unit, s.runs(), s.medianMs(), s.minMs(), s.maxMs(), null, null,
                new JsonObject());
    }

    /** Per-run times in milliseconds, reported in seconds. */
    public static BenchResult seconds(String section, String subject, String metric, double[] millis) {
        return of(section, subject, metric, "s", Arrays.stream(millis).map(ms -> ms / 1000).toArray());
    }

    /**
     * A throughput: {@code work} units done in each run of {@code millis[i]} ms, reported as work per
     * second (so the slowest run is the minimum).
     */
    public static BenchResult rate(String section, String subject, String metric, String unit, double[] millis,
            double work) {
        if (Arrays.stream(millis).anyMatch(ms -> !(ms > 0))) {
            throw new IllegalArgumentException("run times must be positive: " + Arrays.toString(millis));
        }
        return of(section, subject, metric, unit, Arrays.stream(millis).map(ms -> work / (ms / 1000)).toArray());
    }

    /** This row with its median compared with {@code reference} (same unit as the median's meaning). */
    public BenchResult relativeTo(double reference, String of) {
        return withRatio(median / reference, of);
    }

    public BenchResult withRatio(double value, String of) {
        return new BenchResult(section, subject, metric, unit, runs, median, min, max, value, of, details);
    }

    /** Adds a number to the JSON details; returns this row. */
    public BenchResult detail(String key, Number value) {
        details.addProperty(key, value);
        return this;
    }

    public BenchResult detail(String key, String value) {
        details.addProperty(key, value);
        return this;
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("section", section);
        o.addProperty("subject", subject);
        o.addProperty("metric", metric);
        o.addProperty("unit", unit);
        o.addProperty("runs", runs);
        o.addProperty("median", median);
        o.addProperty("min", min);
        o.addProperty("max", max);
        if (ratio != null) {
            o.addProperty("ratio", ratio);
            o.addProperty("ratio_of", ratioOf);
        }
        if (details.size() > 0) {
            o.add("details", details.deepCopy());
        }
        return o;
    }
}
