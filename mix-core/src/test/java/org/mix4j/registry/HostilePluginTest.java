package org.mix4j.registry;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.testing.PluginJarBuilder;

/**
 * Plugins that misbehave while starting (loop forever, throw an error, register nothing) are
 * reported, within the plugin time limit, and never listed as loaded; the others still load.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang is the failure
class HostilePluginTest {

    private static final Duration LIMIT = Duration.ofSeconds(1);

    @TempDir
    Path plugins;

    private static PluginJarBuilder echo(String id) {
        String pkg = "demo." + id;
        return new PluginJarBuilder(id).source(pkg + ".EchoFactory",
                PluginJarBuilder.tokenizerFactory(pkg, "EchoFactory", "echo")).extension(pkg + ".EchoFactory");
    }

    /** An echo plugin whose {@code Plugin.start()} runs {@code statements}. */
    private static PluginJarBuilder starting(String id, String statements) {
        return echo(id).source("demo." + id + ".P", PluginJarBuilder.pluginStarting("demo." + id, "P", statements))
                .pluginClass("demo." + id + ".P");
    }

    private MixRuntime start() {
        return MixRuntime.start(MixSettings.withPlugins(plugins).withPluginTimeout(LIMIT));
    }

    private static PluginStatus status(Registry r, String id) {
        return r.plugins().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow(
                () -> new AssertionError("no status for " + id + " in " + r.plugins()));
    }

    private static void assertFailed(Registry r, String id, String reason) {
        PluginStatus s = status(r, id);
        assertFalse(s.loaded(), id + " is listed loaded");
        assertTrue(s.error().contains(reason), "reason of " + id + ": " + s.error());
        assertFalse(s.error().contains("\n"), "one line: " + s.error());
        assertNull(r.find(id + ":echo"), id + " registered a type");
    }

    @Test
    void pluginWhoseStartNeverEndsIsReportedWithinTheTimeLimit() throws IOException {
        starting("spin", "while (true) { Thread.onSpinWait(); }").build(plugins);
        echo("bystander").build(plugins);
        long t0 = System.nanoTime();
        try (MixRuntime rt = start()) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 15_000, "start-up took " + ms + " ms");
            assertFailed(rt.registry(), "spin", "did not finish starting within 1 s");
            assertNotNull(rt.registry().find("bystander:echo"));
        }
    }

    @Test
    void extensionWhoseConstructorNeverEndsIsReportedWithinTheTimeLimit() throws IOException {
        new PluginJarBuilder("slowext").source("demo.slowext.F", PluginJarBuilder.factoryConstructing("demo.slowext",
                "F", "echo", "while (true) { Thread.onSpinWait(); }")).extension("demo.slowext.F").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "slowext", "did not finish creating its extensions within 1 s");
        }
    }

    @Test
    void pluginWhoseStartThrowsAnErrorFailsAlone() throws IOException {
        // pf4j catches exceptions only: an Error used to escape and stop start-up for every plugin
        starting("erring", "throw new AssertionError(\"bad state\");").build(plugins);
        starting("throwing", "throw new IllegalStateException(\"no licence file\");").build(plugins);
        echo("bystander").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "erring", "failed to start: AssertionError: bad state");
            assertFailed(rt.registry(), "throwing", "failed to start: IllegalStateException: no licence file");
            assertTrue(status(rt.registry(), "bystander").loaded());
        }
    }

    @Test
    void pluginThatRegistersNothingIsNotListedLoaded() throws IOException {
        new PluginJarBuilder("empty").source("demo.empty.P", PluginJarBuilder.pluginStarting("demo.empty", "P", ""))
                .pluginClass("demo.empty.P").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "empty", "registers no extension: META-INF/extensions.idx is missing or empty");
        }
    }
}
