package org.mix4j;

import com.google.inject.Guice;
import com.google.inject.Injector;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.registry.MixModule;
import org.mix4j.registry.MixSettings;
import org.mix4j.registry.Registry;
import org.pf4j.PluginManager;

/**
 * The wired runtime: registry (built-in and plugin components), component loader, plugin manager.
 * Create one per process; {@link #close()} stops the plugins.
 */
public final class MixRuntime implements AutoCloseable {

    private final Injector injector;

    private MixRuntime(Injector injector) {
        this.injector = injector;
    }

    public static MixRuntime start(MixSettings settings) {
        Injector injector = Guice.createInjector(new MixModule(settings));
        MixRuntime runtime = new MixRuntime(injector);
        runtime.registry(); // build the registry now so start-up problems surface here
        return runtime;
    }

    public Registry registry() {
        return injector.getInstance(Registry.class);
    }

    public ComponentLoader loader() {
        return injector.getInstance(ComponentLoader.class);
    }

    public <T> T get(Class<T> type) {
        return injector.getInstance(type);
    }

    @Override
    public void close() {
        injector.getInstance(PluginManager.class).stopPlugins();
    }
}
