package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/** Global options and the lazily started runtime, shared by every subcommand. */
public final class CliContext implements AutoCloseable {

    private final Path pluginsDir;
    private boolean pluginsDirGiven;
    private boolean pluginsOff;
    private final boolean debug;
    private final PrintWriter out;
    private final PrintWriter err;
    private MixRuntime runtime;

    public CliContext(Path pluginsDir, boolean debug, PrintWriter out, PrintWriter err) {
        this.pluginsDir = pluginsDir;
        this.debug = debug;
        this.out = out;
        this.err = err;
    }

    /**
     * The plugins directory: {@code --plugins-dir}, else {@code $MIX_PLUGINS}, else {@code plugins/}
     * next to the launcher ({@code mix.home}), else {@code ./plugins}.
     */
    public static Path defaultPluginsDir() {
        String env = System.getenv("MIX_PLUGINS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String home = System.getProperty("mix.home");
        return home != null ? Path.of(home, "plugins") : Path.of("plugins");
    }

    /**
     * How many threads large tensor ops are split over: {@code -Dmix.threads}, else
     * {@code $MIX_THREADS}, else one per available processor. Read once, when the runtime starts.
     */
    public static int defaultThreads() {
        String property = System.getProperty("mix.threads");
        String configured = property != null ? property : System.getenv("MIX_THREADS");
        if (configured == null || configured.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        String source = property != null ? "-Dmix.threads" : "MIX_THREADS";
        try {
            int n = Integer.parseInt(configured.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(source + " must be a whole number >= 1, got '" + configured + "'");
    }

    /**
     * Whether {@code $MIX_NO_PLUGINS} asks for plugins off: any value but empty, {@code 0} or
     * {@code false}.
     */
    public static boolean pluginsOffByEnvironment() {
        String env = System.getenv("MIX_NO_PLUGINS");
        return env != null && !env.isBlank() && !env.trim().equals("0") && !env.trim().equalsIgnoreCase("false");
    }

    /**
     * The plugin time limit (how long a plugin may take to start, then to create its extensions):
     * {@code -Dmix.plugins.timeout}, else {@code $MIX_PLUGIN_TIMEOUT}, in seconds (a decimal is
     * allowed), else 30 s.
     */
    public static Duration defaultPluginTimeout() {
        String property = System.getProperty("mix.plugins.timeout");
        String configured = property != null ? property : System.getenv("MIX_PLUGIN_TIMEOUT");
        if (configured == null || configured.isBlank()) {
            return MixSettings.DEFAULT_PLUGIN_TIMEOUT;
        }
        String source = property != null ? "-Dmix.plugins.timeout" : "MIX_PLUGIN_TIMEOUT";
        try {
            double seconds = Double.parseDouble(configured.trim());
            if (seconds > 0 && seconds <= 86_400) {
                return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(source + " must be a number of seconds > 0, got '" + configured + "'");
    }

    /** Switches plugin loading off ({@code --no-plugins}, {@code MIX_NO_PLUGINS}): built-ins only. */
    void pluginsOff() {
        this.pluginsOff = true;
    }

    /** Whether plugins are off: the runtime loads none, so a plugin that ends or hangs the host cannot. */
    public boolean pluginsAreOff() {
        return pluginsOff;
    }

    public Path pluginsDir() {
        return pluginsDir;
    }

    public boolean debug() {
        return debug;
    }

    public PrintWriter out() {
        return out;
    }

    /** Marks the plugins directory as asked for ({@code --plugins-dir}): a missing one is warned about. */
    void pluginsDirGiven() {
        this.pluginsDirGiven = true;
    }

    public PrintWriter err() {
        return err;
    }

    /** The runtime with the plugins directory loaded (none when plugins are off); started on first use. */
    public synchronized MixRuntime runtime() {
        if (runtime == null) {
            List<Path> dirs = !pluginsOff && pluginsDir != null && Files.isDirectory(pluginsDir)
                    ? List.of(pluginsDir) : List.of();
            if (pluginsDirGiven && !pluginsOff && dirs.isEmpty()) {
                err.println("warning: --plugins-dir " + pluginsDir + ": no such directory; no plugins loaded");
                err.flush();
            }
            runtime = MixRuntime.start(new MixSettings(dirs, defaultThreads(), defaultPluginTimeout()));
        }
        return runtime;
    }

    @Override
    public synchronized void close() {
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }
}
