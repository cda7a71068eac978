package org.mix4j.registry;

import java.nio.file.Path;
import java.util.List;
import org.pf4j.ManifestPluginDescriptorFinder;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PropertiesPluginDescriptorFinder;

/**
 * Reads a plugin's descriptor from its manifest, else from {@code plugin.properties}, in a jar, a
 * zip or an unpacked folder. Unlike pf4j's compound finder it logs no stack trace per unreadable
 * archive (the reason is reported with the plugin), and an archive whose descriptor lacks an id
 * fails saying so.
 */
final class QuietDescriptorFinder implements PluginDescriptorFinder {

    private final List<PluginDescriptorFinder> finders =
            List.of(new ManifestPluginDescriptorFinder(), new PropertiesPluginDescriptorFinder());

    @Override
    public boolean isApplicable(Path pluginPath) {
        return finders.stream().anyMatch(f -> f.isApplicable(pluginPath));
    }

    @Override
    public PluginDescriptor find(Path pluginPath) {
        RuntimeException first = null;
        boolean withoutId = false;
        for (PluginDescriptorFinder f : finders) {
            try {
                if (f.isApplicable(pluginPath)) {
                    PluginDescriptor d = f.find(pluginPath);
                    if (d != null && d.getPluginId() != null && !d.getPluginId().isBlank()) {
                        return d;
                    }
                    withoutId = true;
                }
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null && !withoutId) {
            throw first;
        }
        throw new PluginRuntimeException("no Plugin-Id in META-INF/MANIFEST.MF nor in plugin.properties");
    }
}
