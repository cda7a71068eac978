package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ships: the classpath the source tree's {@code ./mix} runs ({@code target/classpath.txt}) and
 * the distribution this module assembles at {@code process-test-classes} ({@code target/mix4j-VERSION/}
 * with {@code bin/mix} and {@code lib/}; {@code mvn package} tars the same files). Neither holds a
 * test jar or a plugin, and the packaged launcher runs an example from a folder outside the
 * source tree with nothing but a JDK.
 */
class DistributionTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path DIST = dist();

    @TempDir
    Path dir;

    record Result(int code, String out) {}

    private static List<String> launcherClasspath() throws IOException {
        Path file = Path.of("target", "classpath.txt");
        assertTrue(Files.isRegularFile(file), file.toAbsolutePath() + " missing: the build writes it at process-test-classes");
        return Arrays.asList(Files.readString(file).strip().split(File.pathSeparator));
    }

    @Test
    void launcherClasspathHoldsNoTestJarAndNoPlugin() throws IOException {
        List<String> cp = launcherClasspath();
        assertTrue(cp.stream().anyMatch(e -> e.contains("pytorch-native-cpu")), cp.toString());
        for (String e : cp) {
            String name = Path.of(e).getFileName().toString();
            assertFalse(name.contains("junit") || name.contains("opentest4j") || name.contains("-tests")
                    || name.equals("test-classes") || name.contains("torchscript") || name.contains("pixel-shuffle"),
                    "not a runtime jar of the CLI: " + e);
        }
    }

    @Test
    void componentsListsNoPluginTypeUnlessAPluginIsInstalled() throws Exception {
        // what ./mix runs: mix-cli's classes and its runtime classpath; an empty plugins directory,
        // so that any plugin type listed could only come from the classpath
        String cp = Path.of("target", "classes").toAbsolutePath() + File.pathSeparator
                + String.join(File.pathSeparator, launcherClasspath());
        Result r = exec(REPO, List.of(java(), "-Xmx1g", "-Dai.djl.offline=true", "-Dmix.home=" + REPO, "-cp", cp,
                "org.mix4j.cli.Mix", "--plugins-dir", dir.resolve("plugins").toString(), "components"), null);
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("clip_vision ")), r.out());
        for (String line : r.out().lines().skip(1).toList()) {
            String type = line.split("\\s+")[0];
            assertFalse(type.contains(":") || List.of("encoder", "connector", "denoiser").contains(type),
                    "a plugin type without a plugin installed: " + line);
        }
        assertTrue(r.out().lines().noneMatch(l -> l.contains("torchscript")), r.out());
    }

    @Test
    void distributionHoldsTheLauncherAndTheRuntimeJarsOnly() throws IOException {
        Path mix = DIST.resolve("bin/mix");
        assertTrue(Files.isExecutable(mix), mix + " missing or not executable");
        String launcher = Files.readString(mix);
        for (String setting : List.of("-Dai.djl.offline=true", "GLIBC_TUNABLES", "ONEDNN_MAX_CPU_ISA", "-Dai.djl.pytorch.num_threads=1",
                "MIX_THREADS", "MIX_JAVA_OPTS", "native/mkl-cpu.sh")) {
            assertTrue(launcher.contains(setting), "bin/mix lacks " + setting);
        }
        List<String> jars;
        try (Stream<Path> s = Files.list(DIST.resolve("lib"))) {
            jars = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String module : List.of("mix-core", "mix-encoders", "mix-connectors", "mix-llm", "mix-diffusion",
                "mix-pipelines", "mix-serve", "mix-cli")) {
            assertTrue(jars.stream().anyMatch(j -> j.matches(module + "-\\d.*\\.jar")), module + " missing: " + jars);
        }
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("pytorch-native-cpu")), jars.toString());
        for (String file : List.of("native/mkl-cpu.sh", "native/mix4j_mkl_cpu.c")) {
            assertTrue(Files.isRegularFile(DIST.resolve(file)), file + " missing from the distribution");
        }
        assertTrue(jars.stream().noneMatch(j -> j.contains("junit") || j.contains("-tests") || j.contains("torchscript")),
                jars.toString());
    }

    /** The README's first command, from a copy of the example and its files, with only a JDK. */
    @Test
    void packagedLauncherRunsTheShippedVlmExampleOutsideTheSourceTree() throws Exception {
        copy(REPO.resolve("examples/understanding/shapes-vlm.yaml"), dir.resolve("examples/understanding/shapes-vlm.yaml"));
        copy(REPO.resolve("examples/models/tiny-vlm-shapes"), dir.resolve("examples/models/tiny-vlm-shapes"));
        copy(REPO.resolve("examples/images/shapes-demo.png"), dir.resolve("examples/images/shapes-demo.png"));

        Result r = exec(dir, List.of(DIST.resolve("bin/mix").toString(), "run", "examples/understanding/shapes-vlm.yaml",
                "--image", "examples/images/shapes-demo.png", "--prompt", "What colour is the star?", "--stats"),
                Path.of(System.getProperty("java.home")));
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("image tokens"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.strip().equals("black")), "the star in shapes-demo.png is black:\n" + r.out());
    }

    /**
     * On an AMD processor with AVX-512 and a C compiler, bin/mix builds its oneMKL shim into the user's
     * cache on first use and the JVM runs with it mapped (the bench header reads the process's
     * mappings); MIX_MKL_CPU=generic leaves it out; a wrong value is refused. Elsewhere the shim is not
     * built and the header says so.
     */
    @Test
    void packagedLauncherPreloadsTheMklShimOnAmdWithAvx512() throws Exception {
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        boolean expected = cpuinfo.contains("AuthenticAMD") && cpuinfo.matches("(?s).*\\nflags\\s*:[^\\n]* avx512f.*")
                && Files.isExecutable(Path.of("/usr/bin/cc"));
        Path lib = dir.resolve("cache/mix4j/native/libmix4j_mkl_cpu.so");
        List<String> bench = List.of(DIST.resolve("bin/mix").toString(), "bench", "machine", "--quick", "--json",
                dir.resolve("bench.json").toString());
        Result auto = exec(dir, bench, Path.of(System.getProperty("java.home")));
        assertEquals(0, auto.code(), auto.out());
        assertEquals(expected, Files.isRegularFile(lib), lib + " built: " + auto.out());
        assertTrue(auto.out().contains(expected ? "oneMKL kernels by CPU features (libmix4j_mkl_cpu.so preloaded)"
                : "oneMKL kernels by its own CPU check"), auto.out());

        List<String> generic = new ArrayList<>(List.of("env", "MIX_MKL_CPU=generic"));
        generic.addAll(bench);
        Result off = exec(dir, generic, Path.of(System.getProperty("java.home")));
        assertEquals(0, off.code(), off.out());
        assertTrue(off.out().contains("oneMKL kernels by its own CPU check"), off.out());

        List<String> wrong = new ArrayList<>(List.of("env", "MIX_MKL_CPU=amd"));
        wrong.addAll(bench);
        Result refused = exec(dir, wrong, Path.of(System.getProperty("java.home")));
        assertEquals(2, refused.code(), refused.out());
        assertTrue(refused.out().contains("MIX_MKL_CPU=amd: expected auto, intel or generic"), refused.out());
    }

    /** {@code target/mix4j-VERSION}, the one folder of that name. */
    private static Path dist() {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            List<Path> dirs = s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("mix4j-")).toList();
            assertEquals(1, dirs.size(), "one target/mix4j-VERSION folder expected (assembled at process-test-classes): " + dirs);
            return dirs.get(0).toAbsolutePath();
        } catch (IOException e) {
            throw new AssertionError("cannot list target", e);
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs {@code cmd} in {@code cwd}; {@code javaHome}, when set, is the only JDK the command sees. */
    private static Result exec(Path cwd, List<String> cmd, Path javaHome) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).directory(cwd.toFile()).redirectErrorStream(true);
        if (javaHome != null) {
            pb.environment().put("JAVA_HOME", javaHome.toString());
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("MIX_JAVA_OPTS", "-Xmx1g");
            pb.environment().put("XDG_CACHE_HOME", cwd.resolve("cache").toString()); // where bin/mix builds its oneMKL shim
            pb.environment().remove("MIX_PLUGINS");
            pb.environment().remove("LD_PRELOAD"); // .ci/run preloads the shim into the tests; the launcher decides here
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
