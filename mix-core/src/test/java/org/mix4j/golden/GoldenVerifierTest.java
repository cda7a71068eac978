package org.mix4j.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.SafeTensorsWriter;

class GoldenVerifierTest {

    @TempDir
    Path root;

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    /** x = [[1, 2], [3, 4]] (row 1's first position masked out), y expected = factor * x + perturbation. */
    private Path fixture(String name, String extraJson, float[] perturb, NDArray ids) throws IOException {
        Path dir = root.resolve(name);
        Files.createDirectories(dir);
        NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        NDArray y = x.mul(2).add(manager.create(perturb, new Shape(2, 2)));
        SafeTensorsWriter w = new SafeTensorsWriter().put("x", x).put("y", y)
                .put("mask", manager.create(new long[] {1, 1, 0, 1}, new Shape(2, 2)));
        String outputs = "\"y\"";
        if (ids != null) {
            w.put("ids", ids).put("ids_out", ids);
            outputs += ", \"ids_out\"";
        }
        w.write(dir.resolve("io.safetensors"));
        Files.writeString(dir.resolve("case.json"), "{\"kind\": \"test_scale\", \"factor\": 2, \"inputs\": [\"x\"], "
                + "\"outputs\": [" + outputs + "], \"atol\": 1e-4, \"rtol\": 0" + extraJson + "}");
        return dir;
    }

    private CaseResult run(Path dir) {
        GoldenVerifier v = GoldenVerifier.fromRegistry(runtime.registry());
        return v.run(GoldenVerifier.discover(List.of(dir)).get(0), manager);
    }

    @Test
    void passesWithinToleranceAndReportsTheWorstError() throws IOException {
        CaseResult r = run(fixture("ok", "", new float[] {0, 5e-5f, 0, 0}, manager.create(new long[] {7, 8})));
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        assertEquals(5e-5, r.worst().maxAbsError(), 1e-6);
        assertTrue(r.line().startsWith("PASS") && r.line().contains("y max|err| 5.0") && r.line().contains("atol 1.0E-4"),
                r.line());
    }

    @Test
    void failsOutsideToleranceCountingMismatches() throws IOException {
        CaseResult r = run(fixture("bad", "", new float[] {0, 1e-3f, 1e-3f, 0}, null));
        assertEquals(CaseResult.Status.FAIL, r.status());
        assertEquals(2, r.outputs().get(0).mismatches());
        assertTrue(r.line().contains("2 of 4 elements outside"), r.line());
    }

    @Test
    void perOutputToleranceOverridesTheCaseTolerance() throws IOException {
        CaseResult r = run(fixture("loose", ", \"per_output_tolerance\": {\"y\": {\"atol\": 1e-2, \"rtol\": 0}}",
                new float[] {0, 1e-3f, 0, 0}, null));
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
    }

    @Test
    void compareWhereIgnoresMaskedPositions() throws IOException {
        CaseResult masked = run(fixture("masked", ", \"compare_where\": {\"y\": \"mask\"}", new float[] {0, 0, 99, 0}, null));
        assertEquals(CaseResult.Status.PASS, masked.status(), masked.line());
        assertEquals(3, masked.outputs().get(0).compared());
        CaseResult unmasked = run(fixture("unmasked", ", \"compare_where\": {\"y\": \"mask\"}", new float[] {0, 0, 0, 99}, null));
        assertEquals(CaseResult.Status.FAIL, unmasked.status());
    }

    @Test
    void exactOutputsAndIntegerOutputsMustMatchExactly() throws IOException {
        CaseResult exact = run(fixture("exact", ", \"exact_outputs\": [\"y\"]", new float[] {0, 0, 0, 1e-6f}, null));
        assertEquals(CaseResult.Status.FAIL, exact.status());
        assertEquals(Tolerance.EXACT, exact.outputs().get(0).tolerance());
        CaseResult ints = run(fixture("ints", "", new float[4], manager.create(new long[] {1, 2})));
        assertEquals(Tolerance.EXACT, ints.outputs().get(1).tolerance());
    }

    @Test
    void missingOutputAndShapeMismatchFail() throws IOException {
        Path dir = fixture("missing", "", new float[4], null);
        Files.writeString(dir.resolve("case.json"), Files.readString(dir.resolve("case.json"))
                .replace("\"outputs\": [\"y\"]", "\"outputs\": [\"y\", \"z\"]"));
        CaseResult r = run(dir);
        assertEquals(CaseResult.Status.FAIL, r.status());
        assertTrue(r.line().contains("the runner produced no output 'z'"), r.line());

        Path shaped = root.resolve("shape");
        Files.createDirectories(shaped);
        new SafeTensorsWriter().put("x", manager.ones(new Shape(2, 2))).put("y", manager.ones(new Shape(4)))
                .write(shaped.resolve("io.safetensors"));
        Files.writeString(shaped.resolve("case.json"),
                "{\"kind\": \"test_scale\", \"factor\": 1, \"outputs\": [\"y\"], \"atol\": 0, \"rtol\": 0}");
        CaseResult s = run(shaped);
        assertTrue(s.line().contains("shape (2, 2) but expected (4)"), s.line());
    }

    @Test
    void kindWithoutRunnerAndRunnerErrorsAreReported() throws IOException {
        Path none = fixture("none", "", new float[4], null);
        Files.writeString(none.resolve("case.json"), "{\"kind\": \"quantum_vae\", \"outputs\": [\"y\"]}");
        CaseResult r = run(none);
        assertEquals(CaseResult.Status.NO_RUNNER, r.status());
        assertTrue(r.line().startsWith("NO RUNNER") && r.line().contains("quantum_vae"), r.line());
        CaseResult err = run(fixture("err", ", \"fail\": true", new float[4], null));
        assertEquals(CaseResult.Status.ERROR, err.status());
        assertTrue(err.line().contains("runner failed on purpose"), err.line());
    }

    @Test
    void discoversCasesRecursivelyAndSingleCaseDirectories() throws IOException {
        fixture("a/one", "", new float[4], null);
        fixture("b/deep/two", "", new float[4], null);
        List<GoldenCase> all = GoldenVerifier.discover(List.of(root));
        assertEquals(List.of("a/one", "b/deep/two"), all.stream().map(GoldenCase::name).toList());
        List<GoldenCase> single = GoldenVerifier.discover(List.of(root.resolve("b/deep/two")));
        assertEquals(List.of("two"), single.stream().map(GoldenCase::name).toList());
    }
}
