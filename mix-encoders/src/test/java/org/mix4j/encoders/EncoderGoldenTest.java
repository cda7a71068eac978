package org.mix4j.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;

/**
 * The module's own golden cases, run through the registered runner and the shared verifier at the
 * tolerances of each case.json (the examples module's GoldenSuiteTest runs them with everything else).
 */
class EncoderGoldenTest extends EncoderTestSupport {

    @TestFactory
    Stream<DynamicTest> encoderCasesPassAtTheirTolerances() {
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(Stream.of("clip_vision", "clip_text", "clip_full",
                "siglip_vision").map(EncoderTestSupport::fixture).toList());
        assertEquals(4, cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (NDManager m = root.newSubManager()) {
                CaseResult r = verifier.run(c, m);
                System.out.println(r.line());
                r.outputs().forEach(o -> System.out.println("    " + o.summary()));
                assertEquals(CaseResult.Status.PASS, r.status(), r.line());
            }
        }));
    }
}
