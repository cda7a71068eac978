package org.mix4j.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds a real pf4j plugin jar from Java sources at test time: compiles them against the test
 * classpath, writes the manifest descriptor and the extension index.
 */
public final class PluginJarBuilder {

    private final String id;
    private String version = "1.0.0";
    private String requires = ">=0.1.0";
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> extensions = new ArrayList<>();

    public PluginJarBuilder(String id) {
        this.id = id;
    }

    public PluginJarBuilder version(String v) {
        this.version = v;
        return this;
    }

    public PluginJarBuilder requires(String r) {
        this.requires = r;
        return this;
    }

    /** Adds a class by fully qualified name. */
    public PluginJarBuilder source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Lists a class in META-INF/extensions.idx (it need not exist). */
    public PluginJarBuilder extension(String className) {
        extensions.add(className);
        return this;
    }

    public Path build(Path dir) throws IOException {
        Path work = Files.createTempDirectory(dir, id + "-build");
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        List<String> args = new ArrayList<>(List.of("-proc:none", "-d", classes.toString(), "-cp", classpath()));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        if (!sources.isEmpty()) {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            int rc = javac.run(null, null, null, args.toArray(String[]::new));
            if (rc != 0) {
                throw new IllegalStateException("plugin sources of " + id + " do not compile");
            }
        }
        Manifest manifest = new Manifest();
        Attributes a = manifest.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Plugin-Id", id);
        a.putValue("Plugin-Version", version);
        a.putValue("Plugin-Requires", requires);
        Path jar = dir.resolve(id + "-" + version + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.putNextEntry(new JarEntry("META-INF/extensions.idx"));
            out.write(String.join("\n", extensions).concat("\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, (OutputStream) out);
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    private static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Source of a plugin tokenizer factory whose YAML type is {@code typeName}. */
    public static String tokenizerFactory(String pkg, String className, String typeName) {
        return """
                package %s;

                import java.util.List;
                import java.util.OptionalLong;
                import org.mix4j.api.Role;
                import org.mix4j.api.Tokenizer;
                import org.mix4j.registry.ComponentContext;
                import org.mix4j.registry.ComponentFactory;

                @org.pf4j.Extension
                public class %s implements ComponentFactory<%s.Config, Tokenizer> {
                    public record Config(@org.mix4j.config.Default("7") int offset) {}
                    public String type() { return "%s"; }
                    public Role role() { return Role.TOKENIZER; }
                    public Class<Config> configType() { return Config.class; }
                    public Tokenizer create(Config config, ComponentContext context) {
                        return new Tokenizer() {
                            public long[] encode(String text) { return text.chars().mapToLong(c -> c + config.offset()).toArray(); }
                            public long[] encodeRaw(String text) { return encode(text); }
                            public String decode(long[] ids, boolean skip) { return ""; }
                            public OptionalLong tokenId(String token) { return OptionalLong.empty(); }
                            public TokenizedBatch encodeBatch(List<String> texts, int maxLength) { return null; }
                        };
                    }
                }
                """.formatted(pkg, className, className, typeName);
    }
}
