package org.mix4j.cli.bench;

import ai.djl.engine.Engine;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.mix4j.Mix4j;
import org.mix4j.tensor.MklCpu;

/** The environment line and the JSON report of a {@link BenchRun}. */
final class BenchReport {

    static final String THREADS = "ai.djl.pytorch.num_threads";
    static final String INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

    private final BenchRun run;
    private final JsonObject environment = new JsonObject();

    BenchReport(BenchRun run) {
        this.run = run;
        Engine engine = Engine.getInstance();
        environment.addProperty("mix4j", Mix4j.VERSION);
        environment.addProperty("engine", engine.getEngineName() + " " + engine.getVersion());
        environment.addProperty("java", System.getProperty("java.version"));
        environment.addProperty("cpu", cpuModel());
        environment.addProperty("cores", Runtime.getRuntime().availableProcessors());
        environment.addProperty("num_threads", System.getProperty(THREADS, "default"));
        environment.addProperty("num_interop_threads", System.getProperty(INTEROP_THREADS, "default"));
        environment.addProperty("split_ways", run.parallel().ways());
        environment.addProperty("aten_cpu_capability", envOr("ATEN_CPU_CAPABILITY", "the CPU's best"));
        environment.addProperty("glibc_tunables", envOr("GLIBC_TUNABLES", ""));
        environment.addProperty("mkl_cpu", MklCpu.describe());
        environment.addProperty("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        environment.addProperty("quick", run.quick());
        environment.addProperty("started", Instant.now().toString());
        environment.add("load_average_start", loadAverage());
    }

    /** {@code PyTorch 2.7.1, AMD EPYC, 2 cores, threads default/1, load 1.02 0.80 0.75}. */
    String environmentLine() {
        return String.format(Locale.ROOT, "mix bench: %s, %s, %d cores, engine threads %s (inter-op %s), large ops split "
                        + "%d ways, ATen kernels %s, oneMKL %s, heap %d MiB, load average %s%s", environment.get("engine").getAsString(),
                environment.get("cpu").getAsString(), environment.get("cores").getAsInt(),
                environment.get("num_threads").getAsString(), environment.get("num_interop_threads").getAsString(),
                environment.get("split_ways").getAsInt(), environment.get("aten_cpu_capability").getAsString(),
                environment.get("mkl_cpu").getAsString(), environment.get("max_heap_mb").getAsLong(),
                loadText(environment.getAsJsonArray("load_average_start")), run.quick() ? ", --quick" : "");
    }

    void write(Path file) {
        JsonObject o = environment.deepCopy();
        o.add("load_average_end", loadAverage());
        MachineProfile machine = run.measuredMachine();
        if (machine != null) {
            o.add("machine", machine.toJson());
        }
        JsonObject sections = new JsonObject();
        for (Map.Entry<String, JsonObject> e : run.sections().entrySet()) {
            sections.add(e.getKey(), e.getValue());
        }
        o.add("sections", sections);
        JsonArray rows = new JsonArray();
        run.results().forEach(r -> rows.add(r.toJson()));
        o.add("results", rows);
        Path target = file.toAbsolutePath();
        try {
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            Files.writeString(target, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the report: " + e.getMessage(), e);
        }
    }

    /** The 1, 5 and 15 minute load averages ({@code /proc/loadavg}; the 1-minute one elsewhere). */
    static JsonArray loadAverage() {
        JsonArray a = new JsonArray();
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            for (int i = 0; i < 3; i++) {
                a.add(Double.parseDouble(parts[i]));
            }
        } catch (IOException | RuntimeException e) {
            a.add(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
        return a;
    }

    static String loadText(JsonArray load) {
        StringBuilder sb = new StringBuilder();
        load.forEach(v -> sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", v.getAsDouble())));
        return sb.toString();
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture is all we know
        }
        return System.getProperty("os.arch");
    }
}
