package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;

/** The training-step fixtures, run with this module's runners: loss, gradients, clipping, AdamW, LoRA, packing. */
class TrainingGoldenTest extends WithRuntime {

    private static final List<String> KINDS = List.of("llava_train_step", "llava_train_packed", "unet_train_step");


    static List<Path> roots() {
        String dirs = System.getProperty("mix.golden.dir", "../testdata/golden");
        return Arrays.stream(dirs.split(File.pathSeparator)).map(Path::of).toList();
    }

    @TestFactory
    Stream<DynamicTest> trainingStepsMatchTheReference() {
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(roots()).stream().filter(c -> KINDS.contains(c.kind())).toList();
        assertEquals(KINDS.size(), cases.stream().map(GoldenCase::kind).distinct().count(),
                "expected a fixture of every kind " + KINDS + " under " + roots());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CaseResult r = verifier.run(c, manager);
            System.out.println(r.line());
            if (r.error() != null) {
                r.error().printStackTrace();
                fail(r.line(), r.error());
            }
            assertTrue(r.passed(), r.line());
        }));
    }
}
