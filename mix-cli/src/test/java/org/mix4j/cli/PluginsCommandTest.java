package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.testing.PluginJarBuilder;

/** {@code mix plugins}, {@code mix plugins install} and {@code mix plugins remove} on real plugin archives. */
class PluginsCommandTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    private Path plugins() {
        return dir.resolve("plugins");
    }

    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--plugins-dir";
        all[1] = plugins().toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = Mix.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** Built outside the plugins directory, like a plugin's target/ folder. */
    private Path build(PluginJarBuilder b, boolean zip) throws IOException {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        return zip ? b.buildZip(staging) : b.build(staging);
    }

    private static PluginJarBuilder echo(String id) {
        String pkg = "demo." + id.replace('-', '_');
        return new PluginJarBuilder(id).source(pkg + ".EchoFactory",
                PluginJarBuilder.tokenizerFactory(pkg, "EchoFactory", "echo")).extension(pkg + ".EchoFactory");
    }

    /** An echo plugin whose {@code Plugin.start()} runs {@code statements}. */
    private static PluginJarBuilder starting(String id, String statements) {
        return echo(id).source("demo." + id + ".P", PluginJarBuilder.pluginStarting("demo." + id, "P", statements))
                .pluginClass("demo." + id + ".P");
    }

    private Result mixWithPluginTimeout(String seconds, String... args) {
        System.setProperty("mix.plugins.timeout", seconds);
        try {
            return mix(args);
        } finally {
            System.clearProperty("mix.plugins.timeout");
        }
    }

    private long filesIn(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    @Test
    void listsLoadedPluginsWithTypesAndFailedOnesWithTheReason() throws IOException {
        Files.createDirectories(plugins());
        echo("good").version("1.2.3").build(plugins());
        echo("broken").extension("demo.broken.Missing").build(plugins());
        echo("future").requires(">=9.0.0").build(plugins());
        new PluginJarBuilder("dup")
                .source("demo.dup.A", PluginJarBuilder.tokenizerFactory("demo.dup", "A", "same"))
                .source("demo.dup.B", PluginJarBuilder.tokenizerFactory("demo.dup", "B", "same"))
                .extension("demo.dup.A").extension("demo.dup.B").build(plugins());
        echo("needy").dependencies("base@>=1.0.0").build(plugins());
        Result r = mix("plugins");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("LOADED  good 1.2.3  (good-1.2.3.jar)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("good:echo") && l.contains("tokenizer")), r.out());
        assertTrue(r.out().contains("FAILED  broken 1.0.0  (broken-1.0.0.jar): class not found: extension "
                + "demo.broken.Missing is listed in META-INF/extensions.idx but is not in the plugin"), r.out());
        assertTrue(r.out().contains("FAILED  future 1.0.0  (future-1.0.0.jar): incompatible Plugin-Requires "
                + "'>=9.0.0': this is mix4j 0.1.0"), r.out());
        assertTrue(r.out().contains("FAILED  dup 1.0.0  (dup-1.0.0.jar): duplicate type 'dup:same' declared by demo.dup.A "
                + "and demo.dup.B"), r.out());
        assertTrue(r.out().contains("FAILED  needy 1.0.0  (needy-1.0.0.jar): missing dependency: Plugin-Dependencies "
                + "names 'base@>=1.0.0' but no plugin 'base' is installed"), r.out());
        assertTrue(r.out().contains("5 plugin(s): 1 loaded, 4 failed"), r.out());
        // the host still works: built-ins and the good plugin are listed
        Result components = mix("components");
        assertTrue(components.out().contains("test_upper") && components.out().contains("good:echo"), components.out());
        assertTrue(components.out().contains("4 plugin(s) failed to load; see 'mix plugins'"), components.out());
    }

    @Test
    void installCopiesAPluginThatLoadsAndRemoveDeletesIt() throws IOException {
        Path jar = build(echo("fresh"), false);
        Result r = mix("plugins", "install", jar.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("installed fresh 1.0.0") && r.out().contains("fresh:echo"), r.out());
        assertTrue(Files.isRegularFile(plugins().resolve(jar.getFileName())));
        assertTrue(mix("plugins").out().contains("LOADED  fresh 1.0.0"));

        Result rm = mix("plugins", "remove", "fresh");
        assertEquals(0, rm.code(), rm.err());
        assertTrue(rm.out().contains("removed fresh 1.0.0 (fresh-1.0.0.jar)"), rm.out());
        assertEquals(0, filesIn(plugins()));
    }

    @Test
    void installRefusesAPluginThatDoesNotLoadAndLeavesTheDirectoryUntouched() throws IOException {
        Path missingClass = build(echo("nocls").extension("demo.nocls.Gone"), false);
        Result r = mix("plugins", "install", missingClass.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("refused: plugin 'nocls' does not load: class not found: extension demo.nocls.Gone"),
                r.err());
        Path future = build(echo("later").requires(">=5.0.0"), false);
        Result r2 = mix("plugins", "install", future.toString());
        assertEquals(1, r2.code());
        assertTrue(r2.err().contains("incompatible Plugin-Requires '>=5.0.0'"), r2.err());
        Path needy = build(echo("needy").dependencies("base"), false);
        Result r3 = mix("plugins", "install", needy.toString());
        assertEquals(1, r3.code());
        assertTrue(r3.err().contains("missing dependency: Plugin-Dependencies names 'base'"), r3.err());
        assertEquals(0, filesIn(plugins()));
    }

    @Test
    void installRefusesAnInstalledIdUnlessForced() throws IOException {
        assertEquals(0, mix("plugins", "install", build(echo("twice").version("1.0.0"), false).toString()).code());
        Path newer = build(echo("twice").version("2.0.0"), false);
        Result refused = mix("plugins", "install", newer.toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("plugin 'twice' is already installed: twice 1.0.0 (twice-1.0.0.jar); "
                + "use --force to replace it"), refused.err());

        Result forced = mix("plugins", "install", "--force", newer.toString());
        assertEquals(0, forced.code(), forced.err());
        assertFalse(Files.exists(plugins().resolve("twice-1.0.0.jar")));
        assertTrue(mix("plugins").out().contains("LOADED  twice 2.0.0"));
    }

    @Test
    void installChecksAgainstTheInstalledDependencies() throws IOException {
        assertEquals(0, mix("plugins", "install", build(echo("base"), false).toString()).code());
        Result r = mix("plugins", "install", build(echo("user").dependencies("base@>=1.0.0"), false).toString());
        assertEquals(0, r.code(), r.err());
        Result rm = mix("plugins", "remove", "base");
        assertEquals(0, rm.code());
        assertTrue(rm.err().contains("warning: user 1.0.0 (user-1.0.0.jar) requires 'base' and will no longer load"),
                rm.err());
    }

    @Test
    void zipPluginsInstallAndRemoveWithTheirUnpackedFolder() throws IOException {
        Path zip = build(new PluginJarBuilder("zipped")
                .library("helper.jar", Map.of("com.example.lib.Helper",
                        "package com.example.lib; public class Helper { public static String hi() { return \"hi\"; } }"),
                        true)
                .source("demo.zipped.F", PluginJarBuilder.tokenizerFactory("demo.zipped", "F", "t",
                        "com.example.lib.Helper.hi()"))
                .extension("demo.zipped.F"), true);
        assertEquals(0, mix("plugins", "install", zip.toString()).code());
        Result list = mix("plugins");
        assertTrue(list.out().contains("LOADED  zipped 1.0.0  (zipped-1.0.0.zip)") && list.out().contains("zipped:t"),
                list.out());
        assertTrue(Files.isDirectory(plugins().resolve("zipped-1.0.0")));

        Result rm = mix("plugins", "remove", "zipped");
        assertEquals(0, rm.code(), rm.err());
        assertTrue(rm.out().contains("and its folder zipped-1.0.0"), rm.out());
        assertEquals(0, filesIn(plugins()));
    }

    @Test
    void installAndRemoveReportBadArgumentsWithExitCodes() throws IOException {
        Result missing = mix("plugins", "install", dir.resolve("nope.jar").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.jar: no such file"), missing.err());
        Path text = Files.writeString(dir.resolve("notes.txt"), "hi");
        assertEquals(2, mix("plugins", "install", text.toString()).code());
        Path garbage = Files.write(dir.resolve("garbage.jar"), new byte[] {1, 2, 3});
        Result g = mix("plugins", "install", garbage.toString());
        assertEquals(1, g.code());
        assertTrue(g.err().contains("cannot install garbage.jar: not a readable plugin archive"), g.err());

        Result rm = mix("plugins", "remove", "ghost");
        assertEquals(1, rm.code());
        assertTrue(rm.err().contains("no plugin 'ghost' in"), rm.err());
    }

    @Test
    void removeNeverDeletesAFolderItDidNotUnpack() throws IOException {
        Files.createDirectories(plugins().resolve("sources"));
        Files.writeString(plugins().resolve("sources/pom.xml"), "<project/>");
        Path zip = echo("sources").buildZip(Files.createDirectories(dir.resolve("z")));
        Files.copy(zip, plugins().resolve("sources.zip"));
        Result rm = mix("plugins", "remove", "sources");
        assertEquals(0, rm.code(), rm.err());
        assertFalse(Files.exists(plugins().resolve("sources.zip")));
        assertTrue(Files.isRegularFile(plugins().resolve("sources/pom.xml")));
    }

    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang here is the failure
    void installChecksInASeparateJvmSoAPluginThatEndsTheProcessIsRefused() throws IOException {
        // checked in-process, this plugin used to end the test JVM itself
        Path exits = build(starting("quitter", "System.exit(3);"), false);
        Result r = mix("plugins", "install", exits.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error: refused: plugin 'quitter' ended the check JVM with exit code 3 before it "
                + "finished loading (does it call System.exit or Runtime.halt?)"), r.err());
        Path halts = build(new PluginJarBuilder("halter").source("demo.halter.F", PluginJarBuilder.factoryConstructing(
                "demo.halter", "F", "echo", "Runtime.getRuntime().halt(4);")).extension("demo.halter.F"), true);
        Result h = mix("plugins", "install", halts.toString());
        assertEquals(1, h.code(), h.err());
        assertTrue(h.err().contains("plugin 'halter' ended the check JVM with exit code 4"), h.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals(0, filesIn(plugins()));
    }

    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang here is the failure
    void pluginThatNeverFinishesStartingIsRefusedAndListedFailedWithinTheTimeLimit() throws IOException {
        Path spin = build(starting("spin", "while (true) { Thread.onSpinWait(); }"), false);
        Result r = mixWithPluginTimeout("1", "plugins", "install", spin.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error: refused: plugin 'spin' does not load: did not finish starting within 1 s"),
                r.err());
        assertEquals(0, filesIn(plugins()));

        Files.createDirectories(plugins());
        Files.copy(spin, plugins().resolve(spin.getFileName()));
        echo("good").build(plugins());
        Result list = mixWithPluginTimeout("1", "plugins");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("FAILED  spin 1.0.0  (spin-1.0.0.jar): did not finish starting within 1 s"),
                list.out());
        assertTrue(list.out().contains("LOADED  good 1.0.0"), list.out());
        Result bad = mixWithPluginTimeout("soon", "plugins");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("-Dmix.plugins.timeout must be a number of seconds > 0, got 'soon'"), bad.err());
    }

    @Test
    void installRefusesAZipWithAnEntryOutsideItsFolder() throws IOException {
        byte[] smuggled = Files.readAllBytes(build(echo("sneaky"), false));
        Path zip = build(echo("evil").rawZipEntry("../evil-1.0.0-x.jar", smuggled), true);
        Result r = mix("plugins", "install", zip.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("refused: plugin 'evil' does not load: cannot unpack: zip entry "
                + "'../evil-1.0.0-x.jar' would be written outside the folder it unpacks into"), r.err());
        assertEquals(0, filesIn(plugins()));
    }

    @Test
    void noPluginsLoadsNoneSoAHostilePluginCanBeListedAndRemoved() throws IOException {
        Files.createDirectories(plugins());
        Path exits = build(starting("quitter", "System.exit(3);"), false);
        Files.copy(exits, plugins().resolve(exits.getFileName())); // as if copied by hand: every command would end
        Result list = mix("--no-plugins", "plugins");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("plugins are off (--no-plugins or MIX_NO_PLUGINS): none was loaded"), list.out());
        assertTrue(list.out().contains("OFF     quitter 1.0.0 (quitter-1.0.0.jar)"), list.out());
        Result components = mix("--no-plugins", "components");
        assertEquals(0, components.code(), components.err());
        assertTrue(components.out().contains("test_upper"), components.out());
        Result rm = mix("--no-plugins", "plugins", "remove", "quitter");
        assertEquals(0, rm.code(), rm.err());
        assertEquals(0, filesIn(plugins()));
    }
}
