package org.mix4j.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.mix4j.Mix4j;
import org.pf4j.CompoundPluginRepository;
import org.pf4j.DefaultPluginManager;
import org.pf4j.ExtensionFactory;
import org.pf4j.InvalidPluginDescriptorException;
import org.pf4j.JarPluginRepository;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginRepository;
import org.pf4j.PluginState;
import org.pf4j.PluginStateEvent;
import org.pf4j.PluginStatusProvider;
import org.pf4j.PluginWrapper;

/**
 * The pf4j manager of mix4j: extensions come from Guice and plugins require a mix4j version. It
 * loads plugin jars, and zips (unpacked next to the zip by {@link UnpackedZipRepository}). Unlike
 * pf4j's default, one bad plugin never affects the others: an archive that cannot be loaded, a
 * duplicate plugin id, a missing or wrong-version dependency, or a dependency cycle sets that plugin
 * (and the plugins that need it) aside with the reason, which {@link #rejected()} reports. Each
 * plugin starts under the plugin time limit ({@link PluginTimeLimit}), and any throwable it throws
 * while starting fails that plugin alone.
 */
final class MixPluginManager extends DefaultPluginManager {

    // No initializers: createPluginRepository() runs inside the super constructor.
    private UnpackedZipRepository zips;
    private List<PluginStatus> rejected;
    private final PluginTimeLimit timeLimit;

    MixPluginManager(List<Path> roots, ExtensionFactory factory, PluginTimeLimit timeLimit) {
        super(roots);
        this.extensionFactory = factory;
        this.timeLimit = timeLimit;
        setSystemVersion(Mix4j.VERSION);
    }

    PluginTimeLimit timeLimit() {
        return timeLimit;
    }

    /**
     * No implicit roots: pf4j would otherwise scan {@code ./plugins} (or {@code $pf4j.pluginsDir})
     * when the settings name no directory, and {@link MixSettings#builtInOnly()} would load plugins.
     */
    @Override
    protected List<Path> createPluginsRoot() {
        return List.of();
    }

    /** pf4j keeps enabled.txt / disabled.txt in the first root; without a root nothing is disabled. */
    @Override
    protected PluginStatusProvider createPluginStatusProvider() {
        if (!getPluginsRoots().isEmpty()) {
            return super.createPluginStatusProvider();
        }
        return new PluginStatusProvider() {
            @Override
            public boolean isPluginDisabled(String pluginId) {
                return false;
            }

            @Override
            public void disablePlugin(String pluginId) {
                throw new UnsupportedOperationException("no plugins directory to record it in");
            }

            @Override
            public void enablePlugin(String pluginId) {
                // every plugin is enabled
            }
        };
    }

    @Override
    protected PluginRepository createPluginRepository() {
        zips = new UnpackedZipRepository(getPluginsRoots());
        JarPluginRepository jars = new JarPluginRepository(getPluginsRoots());
        jars.setComparator(Comparator.comparing(java.io.File::getName));
        return new CompoundPluginRepository().add(jars).add(zips);
    }

    @Override
    protected PluginDescriptorFinder createPluginDescriptorFinder() {
        return new QuietDescriptorFinder();
    }

    /** Plugins found but not loaded, with the reason; filled by {@link #loadPlugins()}. */
    List<PluginStatus> rejected() {
        return rejected == null ? List.of() : List.copyOf(rejected);
    }

    @Override
    public void loadPlugins() {
        rejected = new ArrayList<>();
        List<Path> paths = pluginRepository.getPluginPaths();
        rejected.addAll(zips.problems());
        for (Path path : paths) {
            try {
                loadPluginFromPath(path);
            } catch (RuntimeException | LinkageError e) {
                rejected.add(notLoadable(path, e));
            }
        }
        while (dropUnresolvable()) {
            // a plugin set aside may leave its dependents without a dependency: repeat until stable
        }
        resolvePlugins();
    }

    /**
     * pf4j's loop, with each {@code Plugin.start()} (and the plugin's constructor) run under the time
     * limit, and errors ({@code StackOverflowError}, {@code ExceptionInInitializerError}) caught too:
     * pf4j catches exceptions only, so one such plugin would end start-up for all.
     */
    @Override
    public void startPlugins() {
        for (PluginWrapper plugin : List.copyOf(resolvedPlugins)) {
            PluginState before = plugin.getPluginState();
            if (before.isDisabled() || before.isStarted()) {
                continue;
            }
            try {
                timeLimit.run(plugin.getPluginId(), "starting", () -> {
                    plugin.getPlugin().start();
                    return null;
                });
                plugin.setPluginState(PluginState.STARTED);
                plugin.setFailedException(null);
                startedPlugins.add(plugin);
            } catch (RuntimeException | Error e) {
                plugin.setPluginState(PluginState.FAILED);
                plugin.setFailedException(e);
            }
            firePluginStateEvent(new PluginStateEvent(this, plugin, before));
        }
    }

    private PluginStatus notLoadable(Path path, Throwable e) {
        PluginDescriptor d = null;
        try {
            d = getPluginDescriptorFinder().find(path);
        } catch (RuntimeException ignored) {
            // the reason below says why
        }
        String file = path.getFileName().toString();
        if (d == null) {
            String why = e.getMessage() != null && e.getMessage().startsWith("no Plugin-Id")
                    ? "invalid descriptor: " + e.getMessage() : "not a readable plugin archive: " + PluginProblems.describe(e);
            return new PluginStatus(file, "", path, false, List.of(), why);
        }
        String requires = d.getRequires();
        try {
            if (requires != null && !requires.isBlank() && !"*".equals(requires.trim())) {
                getVersionManager().checkVersionConstraint(Mix4j.VERSION, requires.trim());
            }
        } catch (RuntimeException bad) {
            return new PluginStatus(d.getPluginId(), nullToEmpty(d.getVersion()), path, false, List.of(),
                    "Plugin-Requires '" + requires + "' is not a version range (write it as '>=" + Mix4j.VERSION
                            + "'): " + PluginProblems.describe(bad));
        }
        PluginWrapper other = getPlugin(d.getPluginId());
        String why = e instanceof InvalidPluginDescriptorException
                ? "invalid descriptor: " + e.getMessage().replace("Field 'version'", "Plugin-Version")
                : other != null
                ? "duplicate plugin id '" + d.getPluginId() + "': already loaded from "
                        + other.getPluginPath().getFileName()
                : "cannot be loaded: " + PluginProblems.describe(e);
        return new PluginStatus(d.getPluginId(), nullToEmpty(d.getVersion()), path, false, List.of(), why);
    }

    /**
     * Sets aside one round of plugins whose required dependencies are absent, of a version outside
     * the declared range, or part of a cycle.
     *
     * @return whether anything was set aside
     */
    private boolean dropUnresolvable() {
        List<String[]> drop = new ArrayList<>(); // {id, reason}
        for (PluginWrapper p : getPlugins()) {
            String problem = dependencyProblem(p.getDescriptor());
            if (problem == null && inCycle(p.getPluginId())) {
                problem = "cyclic Plugin-Dependencies: " + p.getPluginId() + " depends on itself through "
                        + String.join(", ", dependencyIds(p.getDescriptor()));
            }
            if (problem != null) {
                drop.add(new String[] {p.getPluginId(), problem});
            }
        }
        for (String[] d : drop) {
            PluginWrapper p = getPlugin(d[0]);
            rejected.add(new PluginStatus(d[0], nullToEmpty(p.getDescriptor().getVersion()), p.getPluginPath(), false,
                    List.of(), d[1]));
            unloadPlugin(d[0], false, false);
        }
        return !drop.isEmpty();
    }

    private String dependencyProblem(PluginDescriptor descriptor) {
        for (PluginDependency dep : descriptor.getDependencies()) {
            PluginWrapper present = getPlugin(dep.getPluginId());
            String declared = dep.getPluginId() + (dep.isOptional() ? "?" : "")
                    + ("*".equals(dep.getPluginVersionSupport()) ? "" : "@" + dep.getPluginVersionSupport());
            if (present == null) {
                if (dep.isOptional()) {
                    continue;
                }
                boolean failed = rejected.stream().anyMatch(r -> r.id().equals(dep.getPluginId()));
                return failed
                        ? "dependency '" + dep.getPluginId() + "' failed to load (Plugin-Dependencies: " + declared + ")"
                        : "missing dependency: Plugin-Dependencies names '" + declared + "' but no plugin '"
                                + dep.getPluginId() + "' is installed";
            }
            String version = present.getDescriptor().getVersion();
            boolean ok;
            try {
                ok = getVersionManager().checkVersionConstraint(version, dep.getPluginVersionSupport());
            } catch (RuntimeException e) {
                return "Plugin-Dependencies entry '" + declared + "' is not a valid version range: " + e.getMessage();
            }
            if (!ok) {
                return "dependency '" + dep.getPluginId() + "' is version " + version + " but Plugin-Dependencies "
                        + "requires '" + declared + "'";
            }
        }
        return null;
    }

    /** Whether {@code id} can reach itself through the required dependencies of loaded plugins. */
    private boolean inCycle(String id) {
        List<String> stack = new ArrayList<>(dependencyIds(getPlugin(id).getDescriptor()));
        List<String> seen = new ArrayList<>();
        while (!stack.isEmpty()) {
            String next = stack.remove(stack.size() - 1);
            if (next.equals(id)) {
                return true;
            }
            PluginWrapper w = getPlugin(next);
            if (w != null && !seen.contains(next)) {
                seen.add(next);
                stack.addAll(dependencyIds(w.getDescriptor()));
            }
        }
        return false;
    }

    private static List<String> dependencyIds(PluginDescriptor d) {
        return d.getDependencies().stream().map(PluginDependency::getPluginId).toList();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
