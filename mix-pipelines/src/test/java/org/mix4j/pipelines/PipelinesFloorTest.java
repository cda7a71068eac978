package org.mix4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The pipelines floor: main code compiles against mix-core's roles only and finds models through the
 * registry, so a plugin component behaves as a built-in with the same contract. The model modules
 * are test dependencies; this keeps main sources from naming their classes (imports or
 * fully-qualified names), which the compiler alone would not catch for test-scope jars at run time.
 */
class PipelinesFloorTest {

    private static final Pattern UPPER_FLOOR = Pattern.compile("\\borg\\.mix4j\\.(encoders|connectors|llm|diffusion|cli)\\.");

    @Test
    void mainSourcesNameNoModelModuleOrCliClass() throws IOException {
        Path main = Path.of("src/main/java");
        assertTrue(Files.isDirectory(main), "run from the mix-pipelines module directory: " + main.toAbsolutePath());
        List<String> offences = new ArrayList<>();
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (UPPER_FLOOR.matcher(lines.get(i)).find()) {
                        offences.add(main.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(offences.isEmpty(), "mix-pipelines main code must ask roles (org.mix4j.api) and the registry, "
                + "not model-module classes:\n" + String.join("\n", offences));
    }
}
