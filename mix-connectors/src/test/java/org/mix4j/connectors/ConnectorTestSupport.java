package org.mix4j.connectors;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mix4j.MixRuntime;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.MixSettings;

/** A runtime with the built-in components, and loading through ComponentLoader as YAML would. */
public abstract class ConnectorTestSupport {

    protected static MixRuntime runtime;
    protected static NDManager manager;

    @BeforeAll
    static void startRuntime() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stopRuntime() {
        manager.close();
        runtime.close();
    }

    /** A golden fixture directory by name (tests read the fixtures, they do not run them). */
    protected static Path fixture(String name) {
        return Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve(name);
    }

    protected static Connector load(String type, Path directory, Map<String, ?> overrides) {
        return runtime.loader().load(type, Role.CONNECTOR, directory, overrides, manager, DataType.FLOAT32);
    }
}
