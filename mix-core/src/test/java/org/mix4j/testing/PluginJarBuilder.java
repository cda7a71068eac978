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
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds a real pf4j plugin from Java sources at test time: compiles them against the test
 * classpath (plus the plugin's libraries), writes the manifest descriptor and the extension index,
 * and packs a jar ({@link #build}) or a zip with {@code classes/} and {@code lib/} ({@link #buildZip}).
 */
public final class PluginJarBuilder {

    private final String id;
    private String version = "1.0.0";
    private String requires = ">=0.1.0";
    private String dependencies;
    private String pluginClass;
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> extensions = new ArrayList<>();
    private final List<Library> libraries = new ArrayList<>();
    private final List<Class<?>> copied = new ArrayList<>();
    private final Map<String, byte[]> rawZipEntries = new LinkedHashMap<>();

    /** A library jar the plugin is compiled against; packed into {@code lib/} of a zip when {@code packed}. */
    private record Library(String jarName, Map<String, String> sources, boolean packed) {}

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

    /** {@code Plugin-Dependencies}, e.g. {@code "base@>=1.0.0, extra?"}. */
    public PluginJarBuilder dependencies(String d) {
        this.dependencies = d;
        return this;
    }

    /** {@code Plugin-Class}: the plugin's {@code org.pf4j.Plugin} subclass (add its source too). */
    public PluginJarBuilder pluginClass(String className) {
        this.pluginClass = className;
        return this;
    }

    /** An entry written as is into the zip ({@link #buildZip}), whatever its name (to build hostile zips). */
    public PluginJarBuilder rawZipEntry(String name, byte[] content) {
        rawZipEntries.put(name, content.clone());
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

    /**
     * A third-party library (class name to source) the plugin compiles against. {@link #buildZip}
     * packs it as {@code lib/<jarName>} when {@code packed}; {@link #build} never does (a jar has no lib/).
     */
    public PluginJarBuilder library(String jarName, Map<String, String> librarySources, boolean packed) {
        libraries.add(new Library(jarName, Map.copyOf(librarySources), packed));
        return this;
    }

    /** Packs the class file of a host class into the plugin (to build a plugin that bundles host classes). */
    public PluginJarBuilder copyClass(Class<?> hostClass) {
        copied.add(hostClass);
        return this;
    }

    /** A plugin jar {@code <id>-<version>.jar} in {@code dir}. */
    public Path build(Path dir) throws IOException {
        Path work = Files.createTempDirectory(dir, "." + id + "-build");
        Path classes = compile(work);
        Path jar = dir.resolve(id + "-" + version + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest())) {
            addTree(out, classes, "");
        }
        return jar;
    }

    /** A pf4j plugin zip {@code <id>-<version>.zip} in {@code dir}: {@code classes/} and {@code lib/}. */
    public Path buildZip(Path dir) throws IOException {
        Path work = Files.createTempDirectory(dir, "." + id + "-build");
        Path classes = compile(work);
        Path metaInf = classes.resolve("META-INF");
        Files.createDirectories(metaInf);
        try (OutputStream out = Files.newOutputStream(metaInf.resolve("MANIFEST.MF"))) {
            manifest().write(out);
        }
        Path zip = dir.resolve(id + "-" + version + ".zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            addTree(out, classes, "classes/");
            for (Library lib : libraries) {
                if (lib.packed()) {
                    out.putNextEntry(new ZipEntry("lib/" + lib.jarName()));
                    Files.copy(work.resolve("libs").resolve(lib.jarName()), out);
                    out.closeEntry();
                }
            }
            for (Map.Entry<String, byte[]> e : rawZipEntries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return zip;
    }

    private Path compile(Path work) throws IOException {
        String cp = classpath();
        for (Library lib : libraries) {
            Path libJar = work.resolve("libs").resolve(lib.jarName());
            Files.createDirectories(libJar.getParent());
            Path libClasses = javac(work.resolve("lib-" + lib.jarName()), lib.sources(), cp);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(libJar))) {
                addTree(out, libClasses, "");
            }
            cp = libJar + java.io.File.pathSeparator + cp;
        }
        Path classes = javac(work, sources, cp);
        for (Class<?> c : copied) {
            String name = c.getName().replace('.', '/') + ".class";
            Path target = classes.resolve(name);
            Files.createDirectories(target.getParent());
            try (var in = c.getClassLoader().getResourceAsStream(name)) {
                Files.copy(in, target);
            }
        }
        Path idx = classes.resolve("META-INF/extensions.idx");
        Files.createDirectories(idx.getParent());
        Files.writeString(idx, String.join("\n", extensions).concat("\n"), StandardCharsets.UTF_8);
        return classes;
    }

    private static Path javac(Path work, Map<String, String> code, String cp) throws IOException {
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        List<String> args = new ArrayList<>(List.of("-proc:none", "-d", classes.toString(), "-cp", cp));
        for (Map.Entry<String, String> e : code.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        if (!code.isEmpty()) {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            if (javac.run(null, null, null, args.toArray(String[]::new)) != 0) {
                throw new IllegalStateException("plugin sources do not compile: " + code.keySet());
            }
        }
        return classes;
    }

    private Manifest manifest() {
        Manifest manifest = new Manifest();
        Attributes a = manifest.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Plugin-Id", id);
        a.putValue("Plugin-Version", version);
        if (requires != null) {
            a.putValue("Plugin-Requires", requires);
        }
        if (dependencies != null) {
            a.putValue("Plugin-Dependencies", dependencies);
        }
        if (pluginClass != null) {
            a.putValue("Plugin-Class", pluginClass);
        }
        return manifest;
    }

    private static void addTree(ZipOutputStream out, Path root, String prefix) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = prefix + root.relativize(f).toString().replace('\\', '/');
                if (name.equals("META-INF/MANIFEST.MF") && out instanceof JarOutputStream) {
                    continue; // the jar stream wrote its own
                }
                out.putNextEntry(new ZipEntry(name));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    private static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Source of an {@code org.pf4j.Plugin} subclass whose {@code start()} runs {@code statements}. */
    public static String pluginStarting(String pkg, String className, String statements) {
        return "package " + pkg + ";\n\npublic class " + className + " extends org.pf4j.Plugin {\n"
                + "    @Override\n    public void start() {\n        " + statements + "\n    }\n}\n";
    }

    /**
     * Source of a tokenizer factory (YAML type {@code typeName}) whose constructor runs
     * {@code statements} (to build a plugin whose extension misbehaves when created).
     */
    public static String factoryConstructing(String pkg, String className, String typeName, String statements) {
        return tokenizerFactory(pkg, className, typeName).replace("    public String type()",
                "    public " + className + "() { " + statements + " }\n    public String type()");
    }

    /** Source of a plugin tokenizer factory whose YAML type is {@code typeName}. */
    public static String tokenizerFactory(String pkg, String className, String typeName) {
        return tokenizerFactory(pkg, className, typeName, "\"\"");
    }

    /**
     * Source of a plugin tokenizer factory whose tokenizer's {@code decode} returns the Java
     * expression {@code decodeExpression} (to observe which classes the plugin sees).
     */
    public static String tokenizerFactory(String pkg, String className, String typeName, String decodeExpression) {
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
                            public String decode(long[] ids, boolean skip) { return %s; }
                            public OptionalLong tokenId(String token) { return OptionalLong.empty(); }
                            public TokenizedBatch encodeBatch(List<String> texts, int maxLength) { return null; }
                        };
                    }
                }
                """.formatted(pkg, className, className, typeName, decodeExpression);
    }
}
