package org.mix4j.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.testing.PluginJarBuilder;
import org.mix4j.testing.UpperTokenizerFactory;

class RegistryTest {

    @TempDir
    Path plugins;

    private static PluginJarBuilder echoPlugin(String id) {
        return new PluginJarBuilder(id)
                .source("demo." + id.replace('-', '_') + ".EchoFactory",
                        PluginJarBuilder.tokenizerFactory("demo." + id.replace('-', '_'), "EchoFactory", "echo"))
                .extension("demo." + id.replace('-', '_') + ".EchoFactory");
    }

    private MixRuntime start() {
        return MixRuntime.start(MixSettings.withPlugins(plugins));
    }

    private static PluginStatus status(Registry r, String id) {
        return r.plugins().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow(
                () -> new AssertionError("no status for " + id + " in " + r.plugins()));
    }

    @Test
    void findsBuiltInFactoriesOnTheClasspath() {
        try (MixRuntime rt = MixRuntime.start(MixSettings.builtInOnly())) {
            RegisteredComponent c = rt.registry().find("test_upper");
            assertNotNull(c);
            assertTrue(c.builtIn());
            assertEquals(Role.TOKENIZER, c.role());
            assertEquals("mix-core (tests)", c.origin());
        }
    }

    @Test
    void loadsARealPluginJarAndNamespacesItsTypes() throws IOException {
        echoPlugin("demo").build(plugins);
        try (MixRuntime rt = start(); NDManager m = NDManager.newBaseManager()) {
            RegisteredComponent c = rt.registry().find("demo:echo");
            assertNotNull(c, rt.registry().plugins().toString());
            assertEquals("demo", c.pluginId());
            assertNull(rt.registry().find("echo"));
            assertEquals(List.of("demo:echo"), status(rt.registry(), "demo").types());
            Tokenizer t = rt.loader().load("demo:echo", Role.TOKENIZER, null, Map.of("offset", 1), m, DataType.FLOAT32);
            assertArrayEquals(new long[] {'a' + 1, 'b' + 1}, t.encode("ab"));
            assertEquals("demo", rt.registry().pluginOf(t.getClass().getEnclosingClass()));
        }
    }

    @Test
    void pluginWithAMissingExtensionClassIsReportedAndTheRestStillWorks() throws IOException {
        echoPlugin("good").build(plugins);
        echoPlugin("broken").extension("demo.broken.DoesNotExist").build(plugins);
        try (MixRuntime rt = start()) {
            PluginStatus broken = status(rt.registry(), "broken");
            assertFalse(broken.loaded());
            assertTrue(broken.error().contains("class not found: extension demo.broken.DoesNotExist"),
                    broken.error());
            assertNull(rt.registry().find("broken:echo"));
            assertNotNull(rt.registry().find("good:echo"));
            assertNotNull(rt.registry().find("test_upper"));
        }
    }

    @Test
    void pluginRequiringAnotherMix4jVersionIsReported() throws IOException {
        echoPlugin("future").requires(">=99.0.0").build(plugins);
        try (MixRuntime rt = start()) {
            PluginStatus future = status(rt.registry(), "future");
            assertFalse(future.loaded());
            assertTrue(future.error().contains("incompatible Plugin-Requires '>=99.0.0'"), future.error());
            assertNull(rt.registry().find("future:echo"));
        }
    }

    @Test
    void pluginDeclaringATypeTwiceIsReported() throws IOException {
        new PluginJarBuilder("dup")
                .source("demo.dup.A", PluginJarBuilder.tokenizerFactory("demo.dup", "A", "same"))
                .source("demo.dup.B", PluginJarBuilder.tokenizerFactory("demo.dup", "B", "same"))
                .extension("demo.dup.A").extension("demo.dup.B").build(plugins);
        try (MixRuntime rt = start()) {
            PluginStatus dup = status(rt.registry(), "dup");
            assertFalse(dup.loaded());
            assertTrue(dup.error().contains("duplicate type 'dup:same'"), dup.error());
            assertNull(rt.registry().find("dup:same"));
        }
    }

    @Test
    void pluginCannotShadowABuiltInType() throws IOException {
        new PluginJarBuilder("shadow")
                .source("demo.shadow.F", PluginJarBuilder.tokenizerFactory("demo.shadow", "F", "test_upper"))
                .extension("demo.shadow.F").build(plugins);
        try (MixRuntime rt = start()) {
            assertTrue(rt.registry().find("test_upper").builtIn());
            assertEquals("shadow", rt.registry().find("shadow:test_upper").pluginId());
        }
    }

    @Test
    void corruptPluginArchiveIsReportedWithoutStoppingTheHost() throws IOException {
        Files.write(plugins.resolve("garbage.jar"), new byte[] {1, 2, 3, 4, 5});
        echoPlugin("fine").build(plugins);
        try (MixRuntime rt = start()) {
            PluginStatus garbage = status(rt.registry(), "garbage.jar");
            assertFalse(garbage.loaded());
            assertNotNull(garbage.error());
            assertNotNull(rt.registry().find("fine:echo"));
        }
    }

    @Test
    void unknownTypeListsTheKnownTypesOfThatRole() throws IOException {
        echoPlugin("demo").build(plugins);
        try (MixRuntime rt = start()) {
            UnknownComponentException e = assertThrows(UnknownComponentException.class,
                    () -> rt.registry().require("tokenizr", Role.TOKENIZER));
            assertEquals(List.of("demo:echo", "test_upper"), e.known());
            assertTrue(e.getMessage().contains("unknown tokenizer type 'tokenizr'"), e.getMessage());
            UnknownComponentException wrongRole = assertThrows(UnknownComponentException.class,
                    () -> rt.registry().require("test_upper", Role.CONNECTOR));
            assertTrue(wrongRole.getMessage().contains("is a tokenizer, not a connector"), wrongRole.getMessage());
        }
    }

    @Test
    @SuppressWarnings("rawtypes")
    void duplicateBuiltInTypeStopsStartupNamingBothOwners() {
        Map<String, RegisteredComponent> types = new HashMap<>();
        List<ComponentFactory> twice = List.of(new UpperTokenizerFactory(), new UpperTokenizerFactory() {});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Registry.indexBuiltIns(twice, types));
        assertTrue(e.getMessage().contains("'test_upper' is registered twice")
                && e.getMessage().contains(UpperTokenizerFactory.class.getName()), e.getMessage());
    }
}
