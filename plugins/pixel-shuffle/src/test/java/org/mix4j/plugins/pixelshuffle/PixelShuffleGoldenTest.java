package org.mix4j.plugins.pixelshuffle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;

/**
 * The hand-checked {@code pixel_shuffle_connector} fixture passes through the plugin's runner with
 * the plugin loaded from its built jar, in this JVM and through {@code mix plugins install} and {@code mix verify}
 * in a host that does not have the plugin's classes.
 */
class PixelShuffleGoldenTest {

    /** The committed copy that docs/plugins.md runs with {@code mix verify}. */
    private static final Path COMMITTED = Path.of("golden", "pixel_shuffle_connector");

    @TempDir
    Path dir;

    @Test
    void fixturePassesThroughThePluginRunner() throws IOException {
        Path fixture = PixelShuffleFixture.write(dir.resolve("pixel_shuffle_connector"));
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(MixProcess.pluginJar(), plugins.resolve(MixProcess.pluginJar().getFileName()));
        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins)); NDManager m = NDManager.newBaseManager()) {
            GoldenVerifier verifier = GoldenVerifier.fromRegistry(rt.registry());
            List<GoldenCase> cases = GoldenVerifier.discover(List.of(fixture));
            assertEquals(1, cases.size());
            CaseResult r = verifier.run(cases.get(0), m);
            assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        }
    }

    @Test
    void committedFixtureIsWhatTheWriterProduces() throws IOException {
        Path fresh = PixelShuffleFixture.write(dir.resolve("fresh"));
        for (String f : List.of("case.json", "config.json", "io.safetensors", "model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(fresh.resolve(f)), Files.readAllBytes(COMMITTED.resolve(f)),
                    f + " differs: regenerate with PixelShuffleFixture.main");
        }
    }

    @Test
    void builtJarInstallsAndVerifiesTheFixtureInAHostWithoutThePluginClasses() throws Exception {
        Path plugins = dir.resolve("plugins");
        Path fixture = PixelShuffleFixture.write(dir.resolve("golden/pixel_shuffle_connector"));

        MixProcess.Result install = MixProcess.run("--plugins-dir", plugins.toString(), "plugins", "install",
                MixProcess.pluginJar().toString());
        assertEquals(0, install.code(), install.out());
        assertTrue(install.out().contains("installed pixel-shuffle 0.1.0") && install.out().contains(
                "pixel-shuffle:pixel_shuffle"), install.out());

        MixProcess.Result verify = MixProcess.run("--plugins-dir", plugins.toString(), "verify", fixture.getParent().toString());
        assertEquals(0, verify.code(), verify.out());
        assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("PASS") && l.contains("pixel_shuffle_connector")),
                verify.out());
        assertTrue(verify.out().contains("1 passed, 0 failed"), verify.out());

        MixProcess.Result without = MixProcess.run("--plugins-dir", dir.resolve("empty").toString(), "verify",
                fixture.toString());
        assertEquals(1, without.code(), "without the plugin the kind has no runner:\n" + without.out());
        assertTrue(without.out().contains("no runner for kind 'pixel_shuffle_connector'"), without.out());
    }
}
