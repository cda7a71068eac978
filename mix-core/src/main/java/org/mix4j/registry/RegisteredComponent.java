package org.mix4j.registry;

import org.mix4j.api.Role;

/**
 * A factory as the registry knows it.
 *
 * @param type the YAML name, namespaced {@code plugin-id:name} for plugin types
 * @param origin the built-in module ({@code mix-encoders}) or the plugin id
 * @param pluginId the plugin id, or {@code null} for built-ins
 */
public record RegisteredComponent(String type, Role role, String origin, String pluginId, ComponentFactory<?, ?> factory) {

    public boolean builtIn() {
        return pluginId == null;
    }
}
