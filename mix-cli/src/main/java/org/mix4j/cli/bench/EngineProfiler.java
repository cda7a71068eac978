package org.mix4j.cli.bench;

import ai.djl.engine.Engine;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a body under PyTorch's operator profiler (through DJL's PyTorch JNI, found by reflection so
 * that nothing here depends on the engine at compile time) and summarises the trace: how many
 * engine ops ran, how long they took, and how much of that went to matrix-product and convolution
 * kernels versus everything else (element-wise ops, copies, layout changes).
 *
 * <p>Only top-level ops are counted: an {@code aten::matmul} that calls {@code aten::mm} counts
 * once, with its own duration.
 */
public final class EngineProfiler {

    /** The ops whose time is "in a matmul or convolution kernel". */
    static final Set<String> KERNELS = Set.of("aten::matmul", "aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm",
            "aten::linear", "aten::conv1d", "aten::conv2d", "aten::convolution", "aten::_convolution", "aten::mv",
            "aten::addmv", "aten::dot");

    /** Ops that only copy or re-lay out data. */
    static final Set<String> COPIES = Set.of("aten::copy_", "aten::clone", "aten::contiguous", "aten::cat",
            "aten::_to_copy", "aten::to", "aten::index_put_", "aten::constant_pad_nd", "aten::pad", "aten::stack");

    private EngineProfiler() {}

    /** Count and total milliseconds of one op name. */
    public record OpTotal(String name, int count, double millis) {}

    /**
     * @param ops top-level engine ops
     * @param opMillis their summed duration
     * @param kernelMillis of which in matrix products and convolutions ({@link #KERNELS})
     * @param copyOps top-level ops that only copy data ({@link #COPIES})
     * @param copyMillis their duration
     * @param byName every op name, slowest first
     */
    public record Summary(int ops, double opMillis, double kernelMillis, int copyOps, double copyMillis,
            List<OpTotal> byName) {

        /** Fraction of the op time spent outside matmul/convolution kernels. */
        public double outsideKernels() {
            return opMillis == 0 ? 0 : 1 - kernelMillis / opMillis;
        }
    }

    /** Whether the engine is PyTorch with DJL's JNI profiler. */
    public static boolean available() {
        return profilerMethods() != null;
    }

    /** Runs {@code body} once under the profiler; {@code null} when no profiler is available. */
    public static Summary profile(BenchRun.Body body) throws Exception {
        return profile(body, null);
    }

    /**
     * As {@link #profile(BenchRun.Body)}, keeping the Chrome trace (chrome://tracing, Perfetto) in
     * {@code keep} when it is not {@code null}. Only ops of the calling thread are recorded.
     */
    public static Summary profile(BenchRun.Body body, Path keep) throws Exception {
        Method[] methods = profilerMethods();
        if (methods == null) {
            return null;
        }
        Path trace = Files.createTempFile("mix-bench-profile", ".json");
        try {
            // no CUDA, no input shapes (recording them made large ops several times slower), no memory
            methods[0].invoke(null, false, false, false);
            try {
                body.run();
            } finally {
                methods[1].invoke(null, trace.toString());
            }
            String json = Files.readString(trace);
            if (keep != null) {
                Files.writeString(keep, json);
            }
            return summarise(json);
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    private static Method[] profilerMethods() {
        try {
            if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
                return null;
            }
            Class<?> jni = Class.forName("ai.djl.pytorch.jni.JniUtils");
            return new Method[] {jni.getMethod("startProfile", boolean.class, boolean.class, boolean.class),
                    jni.getMethod("stopProfile", String.class)};
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Summarises a Chrome trace written by the PyTorch profiler. */
    static Summary summarise(String traceJson) {
        JsonElement root = JsonParser.parseString(traceJson);
        JsonArray events = root.isJsonArray() ? root.getAsJsonArray() : root.getAsJsonObject().getAsJsonArray("traceEvents");
        List<double[]> spans = new ArrayList<>(); // tid, start, duration, index into names
        List<String> names = new ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("ph") || !"X".equals(o.get("ph").getAsString()) || !o.has("dur")) {
                continue;
            }
            names.add(o.get("name").getAsString());
            double tid = o.has("tid") && o.get("tid").isJsonPrimitive() && o.get("tid").getAsJsonPrimitive().isNumber()
                    ? o.get("tid").getAsDouble() : 0;
            spans.add(new double[] {tid, o.get("ts").getAsDouble(), o.get("dur").getAsDouble(), names.size() - 1});
        }
        // nested ops start inside their caller: order by thread, start, longest first, keep the outermost
        spans.sort(Comparator.<double[]>comparingDouble(s -> s[0]).thenComparingDouble(s -> s[1])
                .thenComparingDouble(s -> -s[2]));
        Map<String, double[]> totals = new LinkedHashMap<>();
        double end = Double.NEGATIVE_INFINITY;
        double tid = Double.NaN;
        int ops = 0;
        int copyOps = 0;
        double total = 0;
        double kernels = 0;
        double copies = 0;
        for (double[] s : spans) {
            if (s[0] == tid && s[1] < end) {
                continue; // inside the previous top-level op
            }
            tid = s[0];
            end = s[1] + s[2];
            String name = names.get((int) s[3]);
            double ms = s[2] / 1000;
            ops++;
            total += ms;
            if (KERNELS.contains(name)) {
                kernels += ms;
            }
            if (COPIES.contains(name)) {
                copyOps++;
                copies += ms;
            }
            double[] t = totals.computeIfAbsent(name, n -> new double[2]);
            t[0]++;
            t[1] += ms;
        }
        List<OpTotal> byName = new ArrayList<>();
        totals.forEach((n, t) -> byName.add(new OpTotal(n, (int) t[0], t[1])));
        byName.sort(Comparator.comparingDouble(OpTotal::millis).reversed());
        return new Summary(ops, total, kernels, copyOps, copies, byName);
    }

    /** The {@code limit} slowest op names as {@code aten::mm 120x 35.2 ms, ...}. */
    public static String top(Summary s, int limit) {
        StringBuilder sb = new StringBuilder();
        for (OpTotal t : s.byName().subList(0, Math.min(limit, s.byName().size()))) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%s %dx %.1f ms",
                    t.name().replace("aten::", ""), t.count(), t.millis()));
        }
        return sb.toString();
    }
}
