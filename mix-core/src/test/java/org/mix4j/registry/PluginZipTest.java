package org.mix4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.testing.PluginJarBuilder;

/** Plugin zips never write outside the folder they unpack into (zip slip). */
class PluginZipTest {

    @TempDir
    Path dir;

    private static PluginJarBuilder echo(String id) {
        String pkg = "demo." + id;
        return new PluginJarBuilder(id).source(pkg + ".EchoFactory",
                PluginJarBuilder.tokenizerFactory(pkg, "EchoFactory", "echo")).extension(pkg + ".EchoFactory");
    }

    /** A real plugin jar, as the bytes a hostile zip smuggles in. */
    private byte[] sneakyJar() throws IOException {
        return Files.readAllBytes(echo("sneaky").build(Files.createDirectories(dir.resolve("staging"))));
    }

    @Test
    void entryBesideTheFolderIsRefusedAndNeverLoads() throws IOException {
        // pf4j's Unzip accepted this: 'plugins/evil-1.0.0-x.jar' starts with the string 'plugins/evil-1.0.0'
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        echo("evil").rawZipEntry("../evil-1.0.0-x.jar", sneakyJar()).buildZip(plugins);
        for (int start = 0; start < 2; start++) { // the smuggled jar would load on the next start
            try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins))) {
                PluginStatus zip = rt.registry().plugins().stream().filter(p -> p.id().equals("evil-1.0.0.zip"))
                        .findFirst().orElseThrow(() -> new AssertionError(rt.registry().plugins().toString()));
                assertFalse(zip.loaded());
                assertEquals("cannot unpack: zip entry '../evil-1.0.0-x.jar' would be written outside the folder it "
                        + "unpacks into; evil-1.0.0.zip is refused whole (zip slip)", zip.error());
                assertTrue(rt.registry().plugins().stream().noneMatch(p -> p.id().equals("sneaky")),
                        rt.registry().plugins().toString());
            }
            assertEquals(1, count(plugins), "only the zip itself may be in " + plugins);
        }
    }

    @Test
    void entriesLeavingTheFolderAnyOtherWayAreRefused() throws IOException {
        Path folder = dir.resolve("plugins/p");
        for (String name : new String[] {"classes/../../x.txt", "/tmp/mix-zip-slip-probe.txt", "../p2/x.txt",
                "..\\x.txt"}) {
            Path zip = new PluginJarBuilder("p").rawZipEntry(name, new byte[] {1})
                    .buildZip(Files.createDirectories(dir.resolve("z")));
            PluginZip.UnsafeEntry e = assertThrows(PluginZip.UnsafeEntry.class, () -> PluginZip.unpack(zip, folder));
            assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
            assertFalse(Files.exists(folder), "nothing is written when one entry is bad");
            Files.delete(zip);
        }
        assertFalse(Files.exists(Path.of("/tmp/mix-zip-slip-probe.txt")));
    }

    @Test
    void ordinaryZipUnpacksIntoItsFolder() throws IOException {
        Path zip = echo("fine").buildZip(Files.createDirectories(dir.resolve("z")));
        Path folder = dir.resolve("plugins/fine-1.0.0");
        PluginZip.unpack(zip, folder);
        assertTrue(Files.isRegularFile(folder.resolve("classes/demo/fine/EchoFactory.class")));
        assertTrue(Files.isRegularFile(folder.resolve("classes/META-INF/MANIFEST.MF")));
    }

    private static long count(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }
}
