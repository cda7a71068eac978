package org.mix4j.registry;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.List;
import org.mix4j.Mix4j;
import org.pf4j.CompoundPluginRepository;
import org.pf4j.DefaultPluginManager;
import org.pf4j.DefaultPluginRepository;
import org.pf4j.JarPluginRepository;
import org.pf4j.PluginRepository;
import org.pf4j.ExtensionFactory;
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
        return new MixPluginManager(settings.pluginsDirs(), extensionFactory);
    }

    /**
     * A pf4j manager whose extensions come from Guice and whose plugins require a mix4j version.
     * It loads plugin jars, and zips (unpacked by pf4j next to the zip); other directories in the
     * plugins folder are ignored, so the example plugins' source modules can live there.
     */
    static final class MixPluginManager extends DefaultPluginManager {
        MixPluginManager(List<Path> roots, ExtensionFactory factory) {
            super(roots);
            this.extensionFactory = factory;
            setSystemVersion(Mix4j.VERSION);
        }

        @Override
        protected PluginRepository createPluginRepository() {
            return new CompoundPluginRepository()
                    .add(new JarPluginRepository(getPluginsRoots()))
                    .add(new UnpackedZipRepository(getPluginsRoots()));
        }
    }

    /** pf4j's zip handling, restricted to directories that were unpacked from a zip. */
    static final class UnpackedZipRepository extends DefaultPluginRepository {
        UnpackedZipRepository(List<Path> roots) {
            super(roots);
        }

        @Override
        public List<Path> getPluginPaths() {
            return super.getPluginPaths().stream()
                    .filter(p -> java.nio.file.Files.isRegularFile(p.resolveSibling(p.getFileName() + ".zip")))
                    .toList();
        }
    }
}
