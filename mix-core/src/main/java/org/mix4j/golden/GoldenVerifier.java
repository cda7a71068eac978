package org.mix4j.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.mix4j.registry.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds fixture directories (any directory holding a {@code case.json}, recursively), dispatches
 * each on its {@code kind} to a registered {@link CaseRunner}, and compares the outputs with the
 * tolerances {@code case.json} states.
 */
public final class GoldenVerifier {

    private static final Logger LOG = LoggerFactory.getLogger(GoldenVerifier.class);

    private final Map<String, CaseRunner> runners = new HashMap<>();

    public GoldenVerifier(List<CaseRunner> runners) {
        for (CaseRunner r : runners) {
            for (String kind : r.kinds()) {
                CaseRunner previous = this.runners.putIfAbsent(kind, r);
                if (previous != null && previous.getClass() != r.getClass()) {
                    throw new IllegalStateException("two runners for golden kind '" + kind + "': "
                            + previous.getClass().getName() + " and " + r.getClass().getName());
                }
            }
        }
    }

    /**
     * The registry's runners: built-in ones first, then the loaded plugins'. A plugin runner for a
     * kind that already has a runner is left out with a warning, so a plugin can never take over a
     * built-in kind (nor stop {@code mix verify}).
     */
    public static GoldenVerifier fromRegistry(Registry registry) {
        List<CaseRunner> accepted = new ArrayList<>();
        Map<String, String> owners = new HashMap<>();
        for (CaseRunner r : registry.extensions(CaseRunner.class)) {
            String plugin = registry.pluginOf(r.getClass());
            List<String> taken = r.kinds().stream().filter(owners::containsKey).sorted().toList();
            if (plugin != null && !taken.isEmpty()) {
                LOG.warn("plugin {}: golden runner {} left out: kind(s) {} already run by {}", plugin,
                        r.getClass().getName(), taken, owners.get(taken.get(0)));
                continue;
            }
            String owner = plugin == null ? r.getClass().getName() : "plugin " + plugin;
            r.kinds().forEach(k -> owners.putIfAbsent(k, owner));
            accepted.add(r);
        }
        return new GoldenVerifier(accepted);
    }

    public boolean hasRunner(String kind) {
        return runners.containsKey(kind);
    }

    /** Every case below {@code roots} (a root may itself be a case), in path order. */
    public static List<GoldenCase> discover(List<Path> roots) {
        List<GoldenCase> cases = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.exists(root)) {
                throw new IllegalArgumentException(root + ": no such directory");
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path caseJson : walk.filter(p -> p.getFileName().toString().equals("case.json")).sorted().toList()) {
                    Path dir = caseJson.getParent();
                    Path rel = root.relativize(dir);
                    String name = rel.toString().isEmpty() ? dir.getFileName().toString() : rel.toString();
                    cases.add(new GoldenCase(dir, name));
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(root + ": cannot list: " + e.getMessage(), e);
            }
        }
        return cases;
    }

    /** Runs and compares one case; never throws. */
    public CaseResult run(GoldenCase c, NDManager parent) {
        long start = System.nanoTime();
        CaseRunner runner = runners.get(c.kind());
        if (runner == null) {
            return new CaseResult(c, CaseResult.Status.NO_RUNNER, List.of(),
                    "no runner for kind '" + c.kind() + "'", null, 0);
        }
        try (NDManager manager = parent.newSubManager()) {
            Map<String, NDArray> actual = runner.run(c, manager);
            List<OutputResult> results = new ArrayList<>();
            for (String output : c.outputs()) {
                results.add(compare(c, output, actual.get(output), manager));
            }
            boolean ok = results.stream().allMatch(OutputResult::passed);
            return new CaseResult(c, ok ? CaseResult.Status.PASS : CaseResult.Status.FAIL, results, null, null,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (Exception | Error e) {
            String msg = e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + ": " + e.getMessage();
            return new CaseResult(c, CaseResult.Status.ERROR, List.of(), msg, e, (System.nanoTime() - start) / 1_000_000);
        }
    }

    static OutputResult compare(GoldenCase c, String output, NDArray actual, NDManager manager) {
        Tolerance tol = Tolerance.of(c.json(), output);
        if (actual == null) {
            return new OutputResult(output, tol, Double.NaN, 0, 0, "the runner produced no output '" + output + "'");
        }
        NDArray expected = c.tensor(output, manager);
        if (!expected.getDataType().isFloating()) {
            tol = Tolerance.EXACT;
        }
        if (!actual.getShape().equals(expected.getShape())) {
            return new OutputResult(output, tol, Double.NaN, 0, 0,
                    "shape " + actual.getShape() + " but expected " + expected.getShape());
        }
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        boolean[] where = mask(c, output, expected, manager);
        double maxErr = 0;
        long bad = 0;
        long compared = 0;
        for (int i = 0; i < a.length; i++) {
            if (where != null && !where[i]) {
                continue;
            }
            compared++;
            double err = Math.abs(a[i] - e[i]);
            if (Double.isNaN(err)) {
                err = Double.isNaN(a[i]) && Double.isNaN(e[i]) ? 0 : Double.POSITIVE_INFINITY;
            }
            maxErr = Math.max(maxErr, err);
            if (!tol.allows(a[i], e[i])) {
                bad++;
            }
        }
        return new OutputResult(output, tol, maxErr, bad, compared, null);
    }

    /** {@code compare_where}: per element, whether its {@code [b, s]} position has mask 1. */
    private static boolean[] mask(GoldenCase c, String output, NDArray expected, NDManager manager) {
        JsonElement where = c.json().get("compare_where");
        if (where == null || !where.isJsonObject() || !where.getAsJsonObject().has(output)) {
            return null;
        }
        NDArray m = c.tensor(where.getAsJsonObject().get(output).getAsString(), manager);
        long[] maskValues = m.toType(DataType.INT64, false).toLongArray();
        long positions = m.getShape().size();
        long total = expected.getShape().size();
        if (expected.getShape().dimension() < m.getShape().dimension()
                || !expected.getShape().slice(0, m.getShape().dimension()).equals(m.getShape())) {
            throw new IllegalArgumentException("compare_where mask shape " + m.getShape()
                    + " does not lead output shape " + expected.getShape());
        }
        long inner = total / positions;
        boolean[] out = new boolean[(int) total];
        for (int i = 0; i < out.length; i++) {
            out[i] = maskValues[(int) (i / inner)] == 1;
        }
        return out;
    }
}
