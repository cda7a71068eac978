package org.mix4j.registry;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mix4j.MixRuntime;

/**
 * Loads one plugin in a JVM of its own, so that a plugin which calls {@code System.exit} or
 * {@code Runtime.halt}, crashes the JVM or never finishes loading ends or hangs that JVM and not the
 * one installing it. {@link #run} starts {@code java -cp <this JVM's classpath> PluginCheck DIR FILE
 * MILLIS}; {@link #main} loads the plugins of DIR with the plugin time limit and prints one line
 * with the status of FILE. No line means the plugin ended the process.
 */
public final class PluginCheck {

    private static final String LINE = "mix-plugin-check\t";

    /** Time for the child JVM itself (start-up, built-in registry) on top of the plugin time limits. */
    private static final Duration JVM_MARGIN = Duration.ofSeconds(30);

    private final Duration pluginTimeout;

    public PluginCheck(Duration pluginTimeout) {
        this.pluginTimeout = pluginTimeout;
    }

    /** How long the child JVM may run: the limit for starting and for creating extensions, and a margin. */
    public Duration processTimeout() {
        return pluginTimeout.multipliedBy(2).plus(JVM_MARGIN);
    }

    /**
     * Loads {@code file} of {@code dir} (and whatever else {@code dir} holds) in a child JVM.
     *
     * @return its status when it loaded
     * @throws PluginInstaller.Refused when it did not load, ended the child JVM or ran out of time
     */
    PluginStatus run(Path dir, String file, String id) throws PluginInstaller.Refused, IOException {
        Path log = Files.createTempFile("mix-plugin-check", ".log");
        try {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", PluginCheck.class.getName(),
                    dir.toString(), file, Long.toString(pluginTimeout.toMillis()));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = waitFor(child);
            List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (!ended) {
                throw new PluginInstaller.Refused("refused: plugin '" + id + "' did not finish loading within "
                        + PluginTimeLimit.describe(processTimeout()) + " in the check JVM");
            }
            String result = output.stream().filter(l -> l.startsWith(LINE)).reduce((a, b) -> b).orElse(null);
            if (result == null) {
                throw new PluginInstaller.Refused("refused: plugin '" + id + "' ended the check JVM with exit code "
                        + child.exitValue() + " before it finished loading (does it call System.exit or "
                        + "Runtime.halt?)" + lastLine(output));
            }
            return decode(result.substring(LINE.length()), dir, id);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private boolean waitFor(Process child) throws IOException {
        try {
            if (child.waitFor(processTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return false;
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking the plugin", e);
        }
    }

    private static String lastLine(List<String> output) {
        return output.stream().filter(l -> !l.isBlank()).reduce((a, b) -> b).map(l -> "; last output: " + l.strip())
                .orElse("");
    }

    /** {@code LOADED|FAILED|MISSING \t id \t version \t types \t error}. */
    private static PluginStatus decode(String line, Path dir, String id) throws PluginInstaller.Refused {
        String[] f = Arrays.copyOf(line.split("\t", -1), 5);
        if ("MISSING".equals(f[0])) {
            throw new PluginInstaller.Refused("plugin '" + id + "' was not found by the plugin loader");
        }
        if (!"LOADED".equals(f[0])) {
            throw new PluginInstaller.Refused("refused: plugin '" + id + "' does not load: " + f[4]);
        }
        List<String> types = f[3].isEmpty() ? List.of() : List.of(f[3].split(","));
        return new PluginStatus(f[1], f[2], dir, true, types, null);
    }

    /** The child: {@code DIR FILE MILLIS}. Prints the status line, then halts (no plugin code runs after). */
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String file = args[1];
        MixSettings settings = new MixSettings(List.of(dir), 1, Duration.ofMillis(Long.parseLong(args[2])));
        PrintStream out = System.out;
        String line;
        try {
            MixRuntime runtime = MixRuntime.start(settings);
            line = runtime.registry().plugins().stream().filter(p -> isFile(p, file)).findFirst()
                    .map(PluginCheck::encode).orElse("MISSING");
        } catch (RuntimeException | Error e) {
            line = "FAILED\t\t\t\tthe runtime did not start: " + PluginProblems.describe(e);
        }
        out.println(LINE + line);
        out.flush();
        Runtime.getRuntime().halt(0);
    }

    private static boolean isFile(PluginStatus p, String file) {
        return p.path().getFileName().toString().equals(file)
                || UnpackedZipRepository.zipOf(p.path()).getFileName().toString().equals(file);
    }

    private static String encode(PluginStatus p) {
        List<String> f = new ArrayList<>(List.of(p.loaded() ? "LOADED" : "FAILED", p.id(), p.version(),
                String.join(",", p.types()), p.error() == null ? "" : p.error()));
        f.replaceAll(s -> s.replaceAll("[\t\r\n]+", " "));
        return String.join("\t", f);
    }
}
