package org.mix4j.registry;

import com.google.inject.Injector;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.inject.Singleton;
import org.pf4j.ExtensionFactory;
import org.pf4j.PluginRuntimeException;

/**
 * Creates pf4j extensions (built-in and plugin factories, case runners) through Guice, so an
 * extension can {@code @Inject} runtime services. Each extension class is created once.
 */
@Singleton
public final class GuiceExtensionFactory implements ExtensionFactory {

    private final Provider<Injector> injector;

    @Inject
    GuiceExtensionFactory(Provider<Injector> injector) {
        this.injector = injector;
    }

    @Override
    public <T> T create(Class<T> extensionClass) {
        try {
            return injector.get().getInstance(extensionClass);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginRuntimeException(e, "cannot create extension {}: {}", extensionClass.getName(),
                    e.getMessage());
        }
    }
}
