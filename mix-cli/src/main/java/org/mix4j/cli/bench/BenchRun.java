package org.mix4j.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.cli.CliContext;
import org.mix4j.cli.ErrorMessages;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.tensor.TensorParallel;

/**
 * One {@code mix bench} invocation: the options, the machine yardsticks (measured on first use),
 * the rows measured so far and each section's parameters and notes. Rows are printed as they come
 * and written to the JSON report at the end ({@link BenchReport}).
 */
public final class BenchRun {

    /** A timed body. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private final CliContext context;
    private final boolean quick;
    private final List<BenchResult> results = new ArrayList<>();
    private final Map<String, JsonObject> sections = new LinkedHashMap<>();
    private MachineProfile machine;
    private String current = "";

    BenchRun(CliContext context, boolean quick) {
        this.context = context;
        this.quick = quick;
    }

    /**
     * Runs {@code sections} (in their {@link BenchSection#order()}), printing rows as they are
     * measured, and writes the JSON report. A failing section is reported and the others still run.
     *
     * @return 0, or 1 when a section failed
     */
    public static int execute(CliContext context, BenchOptions options, BenchSection... sections) {
        List<BenchSection> ordered = new ArrayList<>(List.of(sections));
        ordered.sort(Comparator.comparingInt(BenchSection::order));
        BenchRun run = new BenchRun(context, options.quick());
        BenchReport report = new BenchReport(run);
        PrintWriter out = context.out();
        out.println(report.environmentLine());
        out.println(BenchTable.header());
        int failed = 0;
        for (BenchSection section : ordered) {
            String name = BenchSection.nameOf(section);
            run.current = name;
            JsonObject info = run.section(name);
            info.add("load_average_before", BenchReport.loadAverage());
            long start = System.nanoTime();
            try {
                section.run(run);
            } catch (Exception | OutOfMemoryError e) {
                failed++;
                info.addProperty("error", ErrorMessages.describe(e));
                context.err().println("bench " + name + " failed: " + ErrorMessages.describe(e));
                if (context.debug()) {
                    e.printStackTrace(context.err());
                }
            }
            info.addProperty("seconds", (System.nanoTime() - start) / 1e9);
            info.add("load_average_after", BenchReport.loadAverage());
            out.println("  # " + name + ": load average " + BenchReport.loadText(info.getAsJsonArray("load_average_before"))
                    + " before, " + BenchReport.loadText(info.getAsJsonArray("load_average_after")) + " after");
            out.flush();
        }
        Path file = options.json() != null ? options.json()
                : Path.of(ordered.size() == 1 ? "bench-" + BenchSection.nameOf(ordered.get(0)) + ".json" : "bench.json");
        report.write(file);
        out.println("-> " + file);
        return failed == 0 ? 0 : 1;
    }

    /** Whether {@code --quick} asked for fewer repetitions. */
    public boolean quick() {
        return quick;
    }

    /** Timed repetitions: {@code full}, or a third of it (at least 2) with {@code --quick}. */
    public int runs(int full) {
        return quick ? Math.max(2, Math.min(full, (full + 2) / 3)) : full;
    }

    /** The machine yardsticks, measured (and reported as rows) the first time they are asked for. */
    public MachineProfile machine() {
        if (machine == null) {
            String section = current;
            current = MachineProfile.SECTION;
            machine = MachineProfile.measure(this);
            current = section;
        }
        return machine;
    }

    MachineProfile measuredMachine() {
        return machine;
    }

    /**
     * Runs {@code body} {@code warmup} times untimed, then {@code runs} times timed.
     *
     * @return milliseconds per timed run
     */
    public double[] time(int warmup, int runs, Body body) {
        try {
            for (int i = 0; i < warmup; i++) {
                body.run();
            }
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                body.run();
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
            return ms;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Adds a row and prints it. */
    public void add(BenchResult result) {
        results.add(result);
        context.out().println(BenchTable.row(result));
        context.out().flush();
    }

    /** A progress or explanatory line (also kept in the section's notes). */
    public void note(String text) {
        JsonObject info = section(current);
        if (!info.has("notes")) {
            info.add("notes", new JsonArray());
        }
        info.getAsJsonArray("notes").add(text);
        context.out().println("  # " + text);
        context.out().flush();
    }

    /** A progress line for the console only. */
    public void progress(String text) {
        context.err().println("  ... " + text);
        context.err().flush();
    }

    /** The JSON object of a section (its parameters go here: {@code run.section("llm").addProperty(...)}). */
    public JsonObject section(String name) {
        return sections.computeIfAbsent(name, n -> new JsonObject());
    }

    /** The current section's JSON object. */
    public JsonObject params() {
        return section(current);
    }

    public ComponentLoader loader() {
        return context.runtime().loader();
    }

    /** The threads the loaded components split their large ops over. */
    public TensorParallel parallel() {
        return loader().parallel();
    }

    public PrintWriter out() {
        return context.out();
    }

    List<BenchResult> results() {
        return results;
    }

    Map<String, JsonObject> sections() {
        return sections;
    }
}
