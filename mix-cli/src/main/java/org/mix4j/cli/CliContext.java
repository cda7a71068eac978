package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/** Global options and the lazily started runtime, shared by every subcommand. */
public final class CliContext implements AutoCloseable {

    private final Path pluginsDir;
    private boolean pluginsDirGiven;
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

    /** The runtime with the plugins directory loaded; started on first use. */
    public synchronized MixRuntime runtime() {
        if (runtime == null) {
            List<Path> dirs = pluginsDir != null && Files.isDirectory(pluginsDir) ? List.of(pluginsDir) : List.of();
            if (pluginsDirGiven && dirs.isEmpty()) {
                err.println("warning: --plugins-dir " + pluginsDir + ": no such directory; no plugins loaded");
                err.flush();
            }
            runtime = MixRuntime.start(new MixSettings(dirs, defaultThreads()));
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
