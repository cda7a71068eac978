package org.mix4j.plugins.torchscript;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs {@code mix} in a separate JVM whose classpath is the host's (mix-core, DJL and the engine)
 * without this module's own classes: the plugin can only come from its jar, as for a user.
 */
final class MixProcess {

    record Result(int code, String out) {}

    private MixProcess() {}

    /** The jar the build packed right after compiling ({@code process-classes}). */
    static Path pluginJar() {
        Path target = Path.of("target");
        try (var s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("torchscript-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no torchscript jar in " + target.toAbsolutePath()
                            + ": build it with mvn test / mvn package"));
        } catch (IOException e) {
            throw new AssertionError("cannot list " + target.toAbsolutePath(), e);
        }
    }

    /** A plugins directory under {@code dir} holding a copy of the built jar, for an in-process runtime. */
    static Path installed(Path dir) throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(pluginJar(), plugins.resolve(pluginJar().getFileName()));
        return plugins;
    }

    static Result run(String... args) throws IOException, InterruptedException {
        return runWithModels(null, args);
    }

    /** With {@code $MIX_MODELS} set to {@code models} (unless null), for pipeline files that use it. */
    static Result runWithModels(Path models, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true", "-cp", hostClasspath(), "org.mix4j.cli.Mix"));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (models != null) {
            pb.environment().put("MIX_MODELS", models.toAbsolutePath().toString());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("mix " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String hostClasspath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path own = Path.of("target").toAbsolutePath().normalize();
        return Arrays.stream(cp.split(File.pathSeparator))
                .filter(e -> !e.isBlank() && !Path.of(e).toAbsolutePath().normalize().startsWith(own))
                .collect(Collectors.joining(File.pathSeparator));
    }
}
