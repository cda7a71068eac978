package org.mix4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.testing.PluginJarBuilder;

/**
 * Every way a plugin can fail is reported precisely, only that plugin (and what needs it) is
 * skipped, and the rest of the plugins and the built-ins keep working.
 */
class PluginFailuresTest {

    @TempDir
    Path plugins;

    private static PluginJarBuilder echo(String id) {
        String pkg = "demo." + id.replace('-', '_');
        return new PluginJarBuilder(id).source(pkg + ".EchoFactory",
                PluginJarBuilder.tokenizerFactory(pkg, "EchoFactory", "echo")).extension(pkg + ".EchoFactory");
    }

    private MixRuntime start() {
        return MixRuntime.start(MixSettings.withPlugins(plugins));
    }

    private static PluginStatus status(Registry r, String id) {
        return r.plugins().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow(
                () -> new AssertionError("no status for " + id + " in " + r.plugins()));
    }

    private static void assertFailed(Registry r, String id, String reason) {
        PluginStatus s = status(r, id);
        assertFalse(s.loaded(), id + " should have failed");
        assertTrue(s.error().contains(reason), "reason of " + id + ": " + s.error());
        assertTrue(r.components().stream().noneMatch(c -> id.equals(c.pluginId())), id + " registered types");
    }

    @Test
    void missingDependencyFailsOnlyThatPlugin() throws IOException {
        echo("needy").dependencies("absent@>=1.0.0").build(plugins);
        echo("bystander").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "needy",
                    "missing dependency: Plugin-Dependencies names 'absent@>=1.0.0' but no plugin 'absent' is installed");
            // pf4j alone would abort resolution for every plugin here
            assertTrue(status(rt.registry(), "bystander").loaded());
            assertNotNull(rt.registry().find("bystander:echo"));
            assertNotNull(rt.registry().find("test_upper"));
        }
    }

    @Test
    void presentDependencyLetsTheDependentUseItsClasses() throws IOException {
        new PluginJarBuilder("base").source("demo.base.Greeting",
                "package demo.base; public class Greeting { public static String text() { return \"from base\"; } }")
                .build(plugins);
        new PluginJarBuilder("user").dependencies("base@>=1.0.0")
                .source("demo.user.F", PluginJarBuilder.tokenizerFactory("demo.user", "F", "t",
                        "demo.base.Greeting.text()"))
                .library("base-api.jar", Map.of("demo.base.Greeting",
                        "package demo.base; public class Greeting { public static String text() { return \"stub\"; } }"),
                        false)
                .extension("demo.user.F").build(plugins);
        try (MixRuntime rt = start(); NDManager m = NDManager.newBaseManager()) {
            assertTrue(status(rt.registry(), "user").loaded(), rt.registry().plugins().toString());
            Tokenizer t = rt.loader().load("user:t", Role.TOKENIZER, null, Map.of(), m, DataType.FLOAT32);
            assertEquals("from base", t.decode(new long[0], false));
        }
    }

    @Test
    void dependencyOfTheWrongVersionIsReported() throws IOException {
        echo("lib").version("1.2.0").build(plugins);
        echo("app").dependencies("lib@>=2.0.0").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "app", "dependency 'lib' is version 1.2.0 but Plugin-Dependencies requires 'lib@>=2.0.0'");
            assertTrue(status(rt.registry(), "lib").loaded());
        }
    }

    @Test
    void dependentOfAFailedPluginFailsNamingIt() throws IOException {
        echo("old").requires(">=99.0.0").build(plugins);
        echo("child").dependencies("old").build(plugins);
        echo("grandchild").dependencies("child").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "old", "incompatible Plugin-Requires '>=99.0.0': this is mix4j 0.1.0");
            assertFailed(rt.registry(), "child", "dependency 'old' failed to load: incompatible Plugin-Requires");
            assertFailed(rt.registry(), "grandchild", "dependency 'child' failed to load");
        }
    }

    @Test
    void dependencyCycleIsReported() throws IOException {
        echo("ping").dependencies("pong").build(plugins);
        echo("pong").dependencies("ping").build(plugins);
        echo("calm").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "ping", "cyclic Plugin-Dependencies");
            assertFailed(rt.registry(), "pong", "cyclic Plugin-Dependencies");
            assertTrue(status(rt.registry(), "calm").loaded());
        }
    }

    @Test
    void typeOfAFailedOrAbsentPluginSaysWhy() throws IOException {
        echo("future").requires(">=99.0.0").build(plugins);
        try (MixRuntime rt = start()) {
            UnknownComponentException failed = assertThrows(UnknownComponentException.class,
                    () -> rt.registry().require("future:echo", Role.TOKENIZER));
            assertTrue(failed.getMessage().contains("unknown tokenizer type 'future:echo': plugin 'future' failed to "
                    + "load: incompatible Plugin-Requires '>=99.0.0'"), failed.getMessage());
            UnknownComponentException absent = assertThrows(UnknownComponentException.class,
                    () -> rt.registry().require("ghost:echo", Role.TOKENIZER));
            assertTrue(absent.getMessage().contains("no plugin 'ghost' is installed"), absent.getMessage());
        }
    }

    @Test
    void builtInOnlyLoadsNoPluginEvenWherePf4jWouldLookByDefault() throws IOException {
        echo("stray").build(plugins);
        String before = System.getProperty("pf4j.pluginsDir");
        System.setProperty("pf4j.pluginsDir", plugins.toString()); // pf4j's own fallback when no root is given
        try (MixRuntime rt = MixRuntime.start(MixSettings.builtInOnly())) {
            assertTrue(rt.registry().plugins().isEmpty(), rt.registry().plugins().toString());
            assertNotNull(rt.registry().find("test_upper"));
        } finally {
            if (before == null) {
                System.clearProperty("pf4j.pluginsDir");
            } else {
                System.setProperty("pf4j.pluginsDir", before);
            }
        }
    }

    @Test
    void pluginIdWithAColonIsRefused() throws IOException {
        new PluginJarBuilder("bad:id").source("demo.badid.F", PluginJarBuilder.tokenizerFactory("demo.badid", "F", "t"))
                .extension("demo.badid.F").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "bad:id", "invalid Plugin-Id 'bad:id'");
        }
    }

    @Test
    void requiresThatIsNotAVersionRangeIsReported() throws IOException {
        echo("sloppy").requires("latest").build(plugins);
        try (MixRuntime rt = start()) {
            PluginStatus s = status(rt.registry(), "sloppy");
            assertFalse(s.loaded());
            assertTrue(s.error().contains("Plugin-Requires 'latest'"), s.error());
        }
    }

    @Test
    void classTheExtensionNeedsButNoOneProvidesIsNamed() throws IOException {
        // compiled against a library that is then not packed with the plugin
        new PluginJarBuilder("lonely")
                .library("helper.jar", Map.of("com.example.lib.Helper",
                        "package com.example.lib; public class Helper { }"), false)
                .source("demo.lonely.F", """
                        package demo.lonely;
                        public class F extends com.example.lib.Helper implements org.mix4j.registry.ComponentFactory<F.C, Object> {
                            public record C() {}
                            public String type() { return "f"; }
                            public org.mix4j.api.Role role() { return org.mix4j.api.Role.TOKENIZER; }
                            public Class<C> configType() { return C.class; }
                            public Object create(C c, org.mix4j.registry.ComponentContext ctx) { return null; }
                        }
                        """)
                .extension("demo.lonely.F").build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "lonely", "class not found: extension demo.lonely.F needs com.example.lib.Helper, "
                    + "which neither the plugin nor mix4j provides");
        }
    }

    @Test
    void pluginBundlingItsOwnMixCoreIsReported() throws IOException {
        echo("fat").copyClass(ComponentFactory.class).build(plugins);
        try (MixRuntime rt = start()) {
            assertFailed(rt.registry(), "fat", "the plugin bundles mix-core classes; declare mix-core with scope 'provided'");
        }
    }

    @Test
    void secondPluginWithTheSameIdIsReported() throws IOException {
        echo("twin").version("1.0.0").build(plugins);
        echo("twin").version("2.0.0").build(plugins);
        try (MixRuntime rt = start()) {
            List<PluginStatus> twins = rt.registry().plugins().stream().filter(p -> p.id().equals("twin")).toList();
            assertEquals(2, twins.size(), twins.toString());
            assertEquals(1, twins.stream().filter(PluginStatus::loaded).count());
            PluginStatus dup = twins.stream().filter(p -> !p.loaded()).findFirst().orElseThrow();
            assertEquals("2.0.0", dup.version());
            assertTrue(dup.error().contains("duplicate plugin id 'twin': already loaded from twin-1.0.0.jar"), dup.error());
        }
    }

    @Test
    void archiveWithoutPluginIdIsReported() throws IOException {
        Path jar = echo("anon").build(plugins);
        try (var fs = java.nio.file.FileSystems.newFileSystem(jar)) {
            Files.writeString(fs.getPath("META-INF/MANIFEST.MF"), "Manifest-Version: 1.0\nPlugin-Version: 1.0.0\n");
        }
        try (MixRuntime rt = start()) {
            PluginStatus s = status(rt.registry(), "anon-1.0.0.jar");
            assertFalse(s.loaded());
            assertTrue(s.error().contains("invalid descriptor: no Plugin-Id"), s.error());
        }
    }

    @Test
    void zipPluginWithALibraryLoads() throws IOException {
        new PluginJarBuilder("zipped")
                .library("helper.jar", Map.of("com.example.lib.Helper",
                        "package com.example.lib; public class Helper { public static String hi() { return \"hi from lib\"; } }"),
                        true)
                .source("demo.zipped.F", PluginJarBuilder.tokenizerFactory("demo.zipped", "F", "t",
                        "com.example.lib.Helper.hi()"))
                .extension("demo.zipped.F").buildZip(plugins);
        try (MixRuntime rt = start(); NDManager m = NDManager.newBaseManager()) {
            assertTrue(status(rt.registry(), "zipped").loaded(), rt.registry().plugins().toString());
            Tokenizer t = rt.loader().load("zipped:t", Role.TOKENIZER, null, Map.of(), m, DataType.FLOAT32);
            assertEquals("hi from lib", t.decode(new long[0], false));
            assertTrue(Files.isRegularFile(plugins.resolve("zipped-1.0.0").resolve(UnpackedZipRepository.MARKER)));
        }
    }

    @Test
    void zipNamedLikeAnExistingFolderNeverOverwritesIt() throws IOException {
        echo("sources").buildZip(plugins);
        Path folder = plugins.resolve("sources-1.0.0");
        Files.createDirectories(folder.resolve("src"));
        Files.writeString(folder.resolve("pom.xml"), "<project/>");
        try (MixRuntime rt = start()) {
            PluginStatus s = status(rt.registry(), "sources-1.0.0.zip");
            assertFalse(s.loaded());
            assertTrue(s.error().contains("was not unpacked by mix4j"), s.error());
        }
        assertEquals("<project/>", Files.readString(folder.resolve("pom.xml")));
    }
}
