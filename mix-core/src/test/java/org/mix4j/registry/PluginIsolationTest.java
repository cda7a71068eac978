package org.mix4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.testing.PluginJarBuilder;

/**
 * Each plugin has its own class loader: two plugins that carry different versions of the same
 * third-party class ({@code com.example.lib.Greeter}) work side by side, each with its own.
 */
class PluginIsolationTest {

    @TempDir
    Path plugins;

    private static String greeter(String version) {
        return """
                package com.example.lib;
                public class Greeter {
                    public String greet() { return "greeter %s"; }
                }
                """.formatted(version);
    }

    /** The tokenizer's decode() reports what the plugin's Greeter says and which loader defined it. */
    private static String factory(String pkg) {
        return PluginJarBuilder.tokenizerFactory(pkg, "GreeterFactory", "greeter",
                "new com.example.lib.Greeter().greet() + \" @\" + "
                        + "System.identityHashCode(com.example.lib.Greeter.class.getClassLoader())");
    }

    @Test
    void twoPluginsBundlingDifferentVersionsOfALibraryEachSeeTheirOwn() throws IOException {
        // plugin "alpha": the library's classes are plugin-local classes inside its jar
        new PluginJarBuilder("alpha")
                .source("com.example.lib.Greeter", greeter("1.0"))
                .source("demo.alpha.GreeterFactory", factory("demo.alpha"))
                .extension("demo.alpha.GreeterFactory").build(plugins);
        // plugin "beta": the library is a jar in lib/ of a plugin zip
        new PluginJarBuilder("beta")
                .library("greeter-2.0.jar", Map.of("com.example.lib.Greeter", greeter("2.0")), true)
                .source("demo.beta.GreeterFactory", factory("demo.beta"))
                .extension("demo.beta.GreeterFactory").buildZip(plugins);

        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins)); NDManager m = NDManager.newBaseManager()) {
            Registry r = rt.registry();
            assertTrue(r.plugins().stream().allMatch(PluginStatus::loaded), r.plugins().toString());
            Tokenizer alpha = rt.loader().load("alpha:greeter", Role.TOKENIZER, null, Map.of(), m, DataType.FLOAT32);
            Tokenizer beta = rt.loader().load("beta:greeter", Role.TOKENIZER, null, Map.of(), m, DataType.FLOAT32);
            ClassLoader alphaLoader = r.pluginManager().getPluginClassLoader("alpha");
            ClassLoader betaLoader = r.pluginManager().getPluginClassLoader("beta");
            assertNotSame(alphaLoader, betaLoader);
            // each Greeter comes from its own plugin's class loader, interleaved calls included
            for (int i = 0; i < 2; i++) {
                assertEquals("greeter 1.0 @" + System.identityHashCode(alphaLoader), alpha.decode(new long[0], false));
                assertEquals("greeter 2.0 @" + System.identityHashCode(betaLoader), beta.decode(new long[0], false));
            }
            // the host itself has no such class
            assertTrue(isAbsentFromHost("com.example.lib.Greeter"));
        }
    }

    private static boolean isAbsentFromHost(String className) {
        try {
            Class.forName(className, false, PluginIsolationTest.class.getClassLoader());
            return false;
        } catch (ClassNotFoundException e) {
            return true;
        }
    }
}
