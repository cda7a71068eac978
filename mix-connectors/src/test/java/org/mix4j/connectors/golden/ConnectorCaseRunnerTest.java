package org.mix4j.connectors.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.connectors.ConnectorTestSupport;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;

/** Every fixture of the connector kinds passes through the registered runner at its tolerances. */
class ConnectorCaseRunnerTest extends ConnectorTestSupport {

    @TestFactory
    Stream<DynamicTest> connectorKindsPassTheirGoldenCases() {
        CaseRunner runner = runtime.registry().extensions(CaseRunner.class).stream()
                .filter(ConnectorCaseRunner.class::isInstance).findFirst().orElseThrow();
        Set<String> kinds = runner.kinds();
        Path root = Path.of(System.getProperty("mix.golden.dir", "../testdata/golden"));
        List<GoldenCase> cases = GoldenVerifier.discover(List.of(root)).stream()
                .filter(c -> kinds.contains(c.kind())).toList();
        assertEquals(kinds, cases.stream().map(GoldenCase::kind).collect(Collectors.toSet()),
                "a fixture for every connector kind under " + root);
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CaseResult r = verifier.run(c, manager);
            System.out.println(r.line());
            assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        }));
    }
}
