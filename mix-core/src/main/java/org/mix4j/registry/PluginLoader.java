package org.mix4j.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.mix4j.Mix4j;
import org.pf4j.AbstractPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the plugins of the plugins directories one by one and decides, per plugin, whether its
 * component factories are registered. A plugin is skipped, with the reason kept for
 * {@code mix plugins}, when its archive or descriptor cannot be read, a dependency is missing, its
 * {@code Plugin-Requires} does not match this mix4j, it fails to start, one of its extension classes
 * cannot be loaded or created, or it declares the same type twice. Nothing a plugin does stops the
 * host.
 */
final class PluginLoader {

    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);

    private final PluginManager manager;

    PluginLoader(PluginManager manager) {
        this.manager = manager;
    }

    List<PluginStatus> load(Map<String, RegisteredComponent> types) {
        List<PluginStatus> statuses = new ArrayList<>();
        try {
            manager.loadPlugins();
        } catch (RuntimeException e) {
            LOG.warn("loading plugins: {}", e.getMessage());
        }
        statuses.addAll(unloadablePaths());
        try {
            manager.startPlugins();
        } catch (RuntimeException e) {
            LOG.warn("starting plugins: {}", e.getMessage());
        }
        for (PluginWrapper plugin : manager.getPlugins()) {
            statuses.add(register(plugin, types));
        }
        return List.copyOf(statuses);
    }

    /** Archives in the plugins directories that pf4j could not load at all, with pf4j's reason. */
    private List<PluginStatus> unloadablePaths() {
        Set<Path> loaded = new HashSet<>();
        for (PluginWrapper p : manager.getPlugins()) {
            loaded.add(p.getPluginPath().toAbsolutePath().normalize());
        }
        List<PluginStatus> out = new ArrayList<>();
        for (Path root : manager.getPluginsRoots()) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> s = Files.list(root)) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    boolean archive = name.endsWith(".jar") || name.endsWith(".zip");
                    Path normal = p.toAbsolutePath().normalize();
                    Path unpacked = name.endsWith(".zip")
                            ? normal.resolveSibling(name.substring(0, name.length() - 4)) : null;
                    if (!archive || loaded.contains(normal) || (unpacked != null && loaded.contains(unpacked))) {
                        continue;
                    }
                    out.add(new PluginStatus(name, "", p, false, List.of(), reasonNotLoaded(p)));
                }
            } catch (java.io.IOException e) {
                LOG.warn("cannot list plugins directory {}: {}", root, e.getMessage());
            }
        }
        return out;
    }

    private String reasonNotLoaded(Path path) {
        try {
            String id = manager.loadPlugin(path);
            // It loads on its own: it failed among the others, usually for a missing dependency.
            manager.unloadPlugin(id);
            return "could not be loaded with the other plugins (check its dependencies)";
        } catch (RuntimeException | LinkageError e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    private PluginStatus register(PluginWrapper plugin, Map<String, RegisteredComponent> types) {
        String id = plugin.getPluginId();
        String version = plugin.getDescriptor().getVersion();
        Path path = plugin.getPluginPath();
        String problem = stateProblem(plugin);
        Map<String, RegisteredComponent> mine = new LinkedHashMap<>();
        if (problem == null) {
            problem = collect(plugin, mine);
        }
        if (problem != null) {
            LOG.warn("plugin {} skipped: {}", id, problem);
            if (plugin.getPluginState() == PluginState.STARTED) {
                try {
                    manager.stopPlugin(id);
                } catch (RuntimeException e) {
                    LOG.debug("stopping plugin {}: {}", id, e.toString());
                }
            }
            return new PluginStatus(id, version, path, false, List.of(), problem);
        }
        types.putAll(mine);
        return new PluginStatus(id, version, path, true, List.copyOf(mine.keySet()), null);
    }

    private String stateProblem(PluginWrapper plugin) {
        PluginState state = plugin.getPluginState();
        if (state == PluginState.STARTED) {
            return null;
        }
        String requires = plugin.getDescriptor().getRequires();
        if (manager instanceof AbstractPluginManager m && requires != null && !requires.isBlank()
                && !"*".equals(requires.trim())
                && !m.getVersionManager().checkVersionConstraint(Mix4j.VERSION, requires)) {
            return "incompatible Plugin-Requires '" + requires + "': this is mix4j " + Mix4j.VERSION;
        }
        Throwable failed = plugin.getFailedException();
        if (failed != null) {
            return "failed to start: " + describe(failed);
        }
        return "not started (state " + state + ")";
    }

    @SuppressWarnings("rawtypes")
    private String collect(PluginWrapper plugin, Map<String, RegisteredComponent> mine) {
        String id = plugin.getPluginId();
        ClassLoader loader = plugin.getPluginClassLoader();
        for (String className : manager.getExtensionClassNames(id)) {
            try {
                Class.forName(className, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return "extension class " + className + " cannot be loaded: " + describe(e);
            }
        }
        List<ComponentFactory> factories;
        try {
            factories = manager.getExtensions(ComponentFactory.class, id);
        } catch (RuntimeException | LinkageError e) {
            return "cannot create its component factories: " + describe(e);
        }
        for (ComponentFactory<?, ?> f : factories) {
            String name;
            try {
                name = f.type();
                if (name == null || name.isBlank() || name.contains(":") || f.role() == null || f.configType() == null) {
                    return f.getClass().getName() + " must declare a type name without ':', a role and a config type";
                }
            } catch (RuntimeException | LinkageError e) {
                return f.getClass().getName() + " failed to describe itself: " + describe(e);
            }
            String type = id + ":" + name;
            RegisteredComponent previous = mine.get(type);
            if (previous != null) {
                return "duplicate type '" + type + "' declared by " + previous.factory().getClass().getName()
                        + " and " + f.getClass().getName();
            }
            mine.put(type, new RegisteredComponent(type, f.role(), id, id, f));
        }
        return null;
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}
