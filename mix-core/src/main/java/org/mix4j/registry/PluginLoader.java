package org.mix4j.registry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.Mix4j;
import org.pf4j.AbstractPluginManager;
import org.pf4j.PluginDependency;
import org.pf4j.PluginManager;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the plugins of the plugins directories and decides, per plugin, whether its component
 * factories are registered. A plugin is skipped, with the reason kept for {@code mix plugins}, when
 * its archive or descriptor cannot be read, its id is taken, a dependency is missing, of the wrong
 * version or failed itself, its {@code Plugin-Requires} does not match this mix4j, it fails to
 * start or does not start within the plugin time limit, one of its extension classes cannot be
 * found or created (or not within the limit), it bundles its own copy of mix-core, it declares the
 * same type twice, or it has no extension (and is no other plugin's dependency). A plugin is listed
 * loaded only when it started and registered. A plugin that ends the process ({@code System.exit}) cannot be caught here: see
 * docs/security.md.
 */
final class PluginLoader {

    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);

    private final PluginManager manager;
    private final PluginTimeLimit timeLimit;

    PluginLoader(PluginManager manager) {
        this.manager = manager;
        this.timeLimit = manager instanceof MixPluginManager m ? m.timeLimit()
                : new PluginTimeLimit(MixSettings.DEFAULT_PLUGIN_TIMEOUT);
    }

    List<PluginStatus> load(Map<String, RegisteredComponent> types) {
        List<PluginStatus> statuses = new ArrayList<>();
        try {
            manager.loadPlugins();
        } catch (RuntimeException e) {
            LOG.warn("loading plugins: {}", e.getMessage());
        }
        if (manager instanceof MixPluginManager m) {
            statuses.addAll(m.rejected());
        }
        try {
            manager.startPlugins();
        } catch (RuntimeException e) {
            LOG.warn("starting plugins: {}", e.getMessage());
        }
        Map<String, PluginStatus> byId = new HashMap<>();
        for (PluginWrapper plugin : dependenciesFirst()) {
            PluginStatus s = register(plugin, types, byId);
            byId.put(s.id(), s);
            statuses.add(s);
        }
        statuses.sort(Comparator.comparing(PluginStatus::id));
        return List.copyOf(statuses);
    }

    /** pf4j's resolved order puts dependencies before their dependents. */
    private List<PluginWrapper> dependenciesFirst() {
        Set<PluginWrapper> ordered = new LinkedHashSet<>(manager.getResolvedPlugins());
        ordered.addAll(manager.getPlugins());
        return List.copyOf(ordered);
    }

    private PluginStatus register(PluginWrapper plugin, Map<String, RegisteredComponent> types,
            Map<String, PluginStatus> done) {
        String id = plugin.getPluginId();
        String version = plugin.getDescriptor().getVersion();
        // first: pf4j stops the dependents of a plugin skipped before, which would hide the reason
        String problem = id.contains(":") || id.isBlank()
                ? "invalid Plugin-Id '" + id + "': YAML names plugin types 'plugin-id:name', so an id has no ':'"
                : failedDependency(plugin, done);
        if (problem == null) {
            problem = stateProblem(plugin);
        }
        Map<String, RegisteredComponent> mine = new LinkedHashMap<>();
        if (problem == null) {
            problem = collectInTime(plugin, mine);
        }
        if (problem != null) {
            // reported by 'mix plugins', and by Registry.require when a pipeline names one of its types
            LOG.info("plugin {} skipped: {}", id, problem);
            if (plugin.getPluginState() == PluginState.STARTED) {
                try {
                    manager.stopPlugin(id);
                } catch (RuntimeException e) {
                    LOG.debug("stopping plugin {}: {}", id, e.toString());
                }
            }
            return new PluginStatus(id, version, plugin.getPluginPath(), false, List.of(), problem);
        }
        types.putAll(mine);
        return new PluginStatus(id, version, plugin.getPluginPath(), true, List.copyOf(mine.keySet()), null);
    }

    private String stateProblem(PluginWrapper plugin) {
        PluginState state = plugin.getPluginState();
        if (state == PluginState.STARTED) {
            return null;
        }
        String requires = plugin.getDescriptor().getRequires();
        if (manager instanceof AbstractPluginManager m && requires != null && !requires.isBlank()
                && !"*".equals(requires.trim())) {
            try {
                if (!m.getVersionManager().checkVersionConstraint(Mix4j.VERSION, requires.trim())) {
                    return "incompatible Plugin-Requires '" + requires + "': this is mix4j " + Mix4j.VERSION;
                }
            } catch (RuntimeException e) {
                return "Plugin-Requires '" + requires + "' is not a version range (write it as '>=" + Mix4j.VERSION
                        + "'): " + PluginProblems.describe(e);
            }
        }
        Throwable failed = plugin.getFailedException();
        if (failed instanceof PluginTimeLimit.Exceeded) {
            return failed.getMessage();
        }
        if (failed != null) {
            String missing = PluginProblems.missingClass(failed);
            return missing != null ? PluginProblems.classNotFound("starting the plugin", missing, plugin)
                    : "failed to start: " + PluginProblems.describe(failed);
        }
        return "not started (state " + state + ")";
    }

    /** A required dependency that loaded but was then skipped takes its dependents with it. */
    private static String failedDependency(PluginWrapper plugin, Map<String, PluginStatus> done) {
        for (PluginDependency dep : plugin.getDescriptor().getDependencies()) {
            PluginStatus s = done.get(dep.getPluginId());
            if (s != null && !s.loaded() && !dep.isOptional()) {
                return "dependency '" + dep.getPluginId() + "' failed to load: " + s.error();
            }
        }
        return null;
    }

    /**
     * {@link #collect} under the time limit (it creates the plugin's extensions, running their code);
     * {@code mine} is filled only when it finished in time, and a plugin with no extension fails.
     */
    private String collectInTime(PluginWrapper plugin, Map<String, RegisteredComponent> mine) {
        Map<String, RegisteredComponent> found = new LinkedHashMap<>();
        String problem;
        try {
            problem = timeLimit.run(plugin.getPluginId(), "creating its extensions", () -> collect(plugin, found));
        } catch (PluginTimeLimit.Exceeded e) {
            return e.getMessage();
        } catch (RuntimeException | Error e) {
            return "cannot create its extensions: " + PluginProblems.describe(e);
        }
        if (problem == null && manager.getExtensionClassNames(plugin.getPluginId()).isEmpty()
                && !isLibrary(plugin.getPluginId())) {
            problem = "registers no extension: META-INF/extensions.idx is missing or empty, and no plugin depends on "
                    + "it (annotate the factories with @Extension and build with pf4j's annotation processor)";
        }
        if (problem == null) {
            mine.putAll(found);
        }
        return problem;
    }

    /** A plugin other plugins depend on may only provide classes, and register nothing itself. */
    private boolean isLibrary(String id) {
        return manager.getPlugins().stream().flatMap(p -> p.getDescriptor().getDependencies().stream())
                .anyMatch(d -> d.getPluginId().equals(id));
    }

    @SuppressWarnings("rawtypes")
    private String collect(PluginWrapper plugin, Map<String, RegisteredComponent> mine) {
        String id = plugin.getPluginId();
        ClassLoader loader = plugin.getPluginClassLoader();
        for (String className : manager.getExtensionClassNames(id)) {
            Class<?> type;
            try {
                type = Class.forName(className, false, loader);
            } catch (ClassNotFoundException e) {
                return "class not found: extension " + className + " is listed in META-INF/extensions.idx but is "
                        + "not in the plugin";
            } catch (LinkageError e) {
                String missing = PluginProblems.missingClass(e);
                return missing != null ? PluginProblems.classNotFound("extension " + className, missing, plugin)
                        : "extension class " + className + " cannot be loaded: " + PluginProblems.describe(e);
            }
            if (PluginProblems.bundlesHostApi(type)) {
                return "extension " + className + " implements its own copy of org.mix4j.registry.ComponentFactory: "
                        + "the plugin bundles mix-core classes; declare mix-core with scope 'provided'";
            }
        }
        List<ComponentFactory> factories;
        try {
            factories = manager.getExtensions(ComponentFactory.class, id);
        } catch (RuntimeException | LinkageError e) {
            String missing = PluginProblems.missingClass(e);
            return missing != null ? PluginProblems.classNotFound("creating its component factories", missing, plugin)
                    : "cannot create its component factories: " + PluginProblems.describe(e);
        }
        for (ComponentFactory<?, ?> f : factories) {
            String name;
            try {
                name = f.type();
                if (name == null || name.isBlank() || name.contains(":") || f.role() == null || f.configType() == null) {
                    return f.getClass().getName() + " must declare a type name without ':', a role and a config type";
                }
            } catch (RuntimeException | LinkageError e) {
                return f.getClass().getName() + " failed to describe itself: " + PluginProblems.describe(e);
            }
            String type = id + ":" + name;
            RegisteredComponent previous = mine.get(type);
            if (previous != null) {
                List<String> owners = java.util.stream.Stream.of(previous.factory().getClass().getName(),
                        f.getClass().getName()).sorted().toList();
                return "duplicate type '" + type + "' declared by " + owners.get(0) + " and " + owners.get(1);
            }
            mine.put(type, new RegisteredComponent(type, f.role(), id, id, f));
        }
        return null;
    }
}
