package org.mix4j.registry;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import jakarta.inject.Singleton;
import org.pf4j.PluginManager;

/** Wires the runtime: settings, the pf4j plugin manager with Guice-created extensions, the registry. */
public final class MixModule extends AbstractModule {

    private final MixSettings settings;

    public MixModule(MixSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void configure() {
        bind(MixSettings.class).toInstance(settings);
    }

    @Provides
    @Singleton
    PluginManager pluginManager(MixSettings settings, GuiceExtensionFactory extensionFactory) {
        return new MixPluginManager(settings.pluginsDirs(), extensionFactory, new PluginTimeLimit(settings.pluginTimeout()));
    }
}
