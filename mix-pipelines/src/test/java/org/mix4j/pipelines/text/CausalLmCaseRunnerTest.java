package org.mix4j.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.MixRuntime;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;

/** The LLM golden fixtures, run through this module's runner and the normal loading path. */
class CausalLmCaseRunnerTest {

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

    @ParameterizedTest
    @ValueSource(strings = {"llama_causal_lm", "qwen2_causal_lm"})
    void fixturePassesAtItsTolerance(String name) {
        Path dir = Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve(name);
        GoldenCase c = new GoldenCase(dir, name);
        GoldenVerifier verifier = new GoldenVerifier(List.of(new CausalLmCaseRunner(runtime.get(ComponentLoader.class))));
        CaseResult r = verifier.run(c, manager);
        System.out.println(r.line());
        if (r.error() != null) {
            r.error().printStackTrace();
        }
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        assertTrue(r.outputs().stream().allMatch(o -> o.compared() > 0), "every output was compared");
    }
}
