package org.mix4j.registry;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mix4j.api.Role;
import org.pf4j.ExtensionPoint;
import org.pf4j.PluginManager;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every component type, built once at start-up: built-in factories found on the classpath and the
 * factories of the plugins that loaded. Two built-ins with the same type name stop start-up; a
 * plugin that fails in any way (see {@link PluginLoader}) is reported and skipped, and plugin
 * types are namespaced, so a plugin can never replace a built-in.
 */
@Singleton
public final class Registry {

    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final PluginManager plugins;
    private final Map<String, RegisteredComponent> byType;
    private final List<PluginStatus> pluginStatus;

    @Inject
    public Registry(PluginManager plugins) {
        this.plugins = plugins;
        Map<String, RegisteredComponent> types = new TreeMap<>();
        indexBuiltIns(plugins.getExtensions(ComponentFactory.class, null), types);
        this.pluginStatus = new PluginLoader(plugins).load(types);
        this.byType = Collections.unmodifiableMap(types);
    }

    /** Adds built-in factories; a type registered twice stops start-up naming both owners. */
    @SuppressWarnings("rawtypes")
    static void indexBuiltIns(List<ComponentFactory> builtIns, Map<String, RegisteredComponent> types) {
        for (ComponentFactory<?, ?> f : builtIns) {
            String type = f.type();
            String origin = Origins.of(f.getClass());
            RegisteredComponent previous = types.get(type);
            if (previous != null) {
                throw new IllegalStateException("component type '" + type + "' is registered twice: by "
                        + previous.factory().getClass().getName() + " (" + previous.origin() + ") and by "
                        + f.getClass().getName() + " (" + origin + ")");
            }
            types.put(type, new RegisteredComponent(type, f.role(), origin, null, f));
        }
        LOG.debug("{} built-in component types", types.size());
    }

    /** All types, sorted by name. */
    public List<RegisteredComponent> components() {
        return List.copyOf(byType.values());
    }

    /** Types of one role, sorted by name. */
    public List<RegisteredComponent> components(Role role) {
        return byType.values().stream().filter(c -> c.role() == role).toList();
    }

    /**
     * The type of {@code role} whose factory declares the Hugging Face / diffusers name
     * {@code name} ({@link ComponentFactory#checkpointClasses}), or {@code null}.
     */
    public RegisteredComponent forCheckpointClass(Role role, String name) {
        return components(role).stream().filter(c -> c.factory().checkpointClasses().contains(name)).findFirst()
                .orElse(null);
    }

    /** Every Hugging Face / diffusers name the types of {@code role} declare, for messages. */
    public List<String> checkpointClasses(Role role) {
        return components(role).stream().flatMap(c -> c.factory().checkpointClasses().stream()).toList();
    }

    /** The factory registered under {@code type}, or {@code null}. */
    public RegisteredComponent find(String type) {
        return byType.get(type);
    }

    /**
     * The factory for {@code type} of the given role.
     *
     * @throws UnknownComponentException listing the known types of that role
     */
    public RegisteredComponent require(String type, Role role) {
        RegisteredComponent c = byType.get(type);
        List<String> known = components(role).stream().map(RegisteredComponent::type).toList();
        if (c == null) {
            throw new UnknownComponentException("unknown " + role.displayName() + " type '" + type + "'"
                    + failedPluginNote(type), known);
        }
        if (role != null && c.role() != role) {
            throw new UnknownComponentException("'" + type + "' is a " + c.role().displayName() + ", not a "
                    + role.displayName(), known);
        }
        return c;
    }

    /** Why the plugin a namespaced type names is missing, when it failed to load; else empty. */
    private String failedPluginNote(String type) {
        int colon = type.indexOf(':');
        if (colon < 0) {
            return "";
        }
        String id = type.substring(0, colon);
        return pluginStatus.stream().filter(p -> p.id().equals(id) && !p.loaded()).findFirst()
                .map(p -> ": plugin '" + id + "' failed to load: " + p.error()).orElse(
                        pluginStatus.stream().anyMatch(p -> p.id().equals(id)) ? ""
                                : ": no plugin '" + id + "' is installed (see 'mix plugins')");
    }

    /** Plugins found, loaded or failed. */
    public List<PluginStatus> plugins() {
        return pluginStatus;
    }

    /**
     * Extensions of another extension point (such as golden case runners), built-in and from the
     * plugins that loaded.
     */
    public <E extends ExtensionPoint> List<E> extensions(Class<E> point) {
        List<E> out = new ArrayList<>(plugins.getExtensions(point, null));
        for (PluginStatus p : pluginStatus) {
            if (p.loaded()) {
                try {
                    out.addAll(plugins.getExtensions(point, p.id()));
                } catch (RuntimeException | LinkageError e) {
                    LOG.warn("plugin {}: cannot create its {} extensions: {}", p.id(), point.getSimpleName(), e.toString());
                }
            }
        }
        return out;
    }

    /** Which plugin a class came from, or {@code null} for built-ins. */
    public String pluginOf(Class<?> type) {
        PluginWrapper w = plugins.whichPlugin(type);
        return w == null ? null : w.getPluginId();
    }

    public PluginManager pluginManager() {
        return plugins;
    }

    /** Count of types per origin, for summaries. */
    public Map<String, Integer> countsByOrigin() {
        Map<String, Integer> out = new LinkedHashMap<>();
        byType.values().forEach(c -> out.merge(c.origin(), 1, Integer::sum));
        return out;
    }
}
