package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The launchers' stderr filter (libtorch's NNPACK warnings) and the source launcher's quiet Maven call. */
class LauncherTest {

    private static final String NNPACK =
            "[W1203 22:23:10.688251204 NNPACK.cpp:57] Could not initialize NNPACK! Reason: Unsupported hardware.\n";

    @ParameterizedTest
    @ValueSource(strings = {"../mix", "src/main/dist/bin/mix"})
    void stderrFilterDropsNnpackWarningsAndPassesTheRest(String launcher) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")) || Files.isExecutable(Path.of("/bin/perl")), "no perl");
        String script = Files.readString(Path.of(launcher));
        int start = script.indexOf("NOISE=(cat)");
        int end = script.indexOf("\nfi\n", start) + 4;
        assertTrue(start >= 0 && end > start, launcher + " has no NOISE filter");
        String input = "denoising: 10 steps\n" + NNPACK + NNPACK + "\r 50% [=====     ]\r100% [==========]\n"
                + "[W1203 other.cpp:1] a warning that stays\n" + NNPACK + "error: last line";
        Process p = new ProcessBuilder("bash", "-c", script.substring(start, end) + "\"${NOISE[@]}\"").start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals("denoising: 10 steps\n\r 50% [=====     ]\r100% [==========]\n"
                + "[W1203 other.cpp:1] a warning that stays\nerror: last line", out);
    }

    @Test
    void sourceLauncherStopsJansisColourReset() throws IOException {
        assertTrue(Files.readString(Path.of("../mix")).contains("-Djansi.noreset=true"));
    }
}
