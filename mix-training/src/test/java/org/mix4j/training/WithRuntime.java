package org.mix4j.training;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mix4j.MixRuntime;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The built-in components' runtime and a base {@code NDManager}, opened before a test class's tests
 * and closed after them (test classes run one at a time, so the shared fields never overlap).
 */
abstract class WithRuntime {

    static MixRuntime runtime;
    static NDManager manager;

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

    /** A trainer for {@code recipe} with {@code overrides}, its paths against the recipe's folder, writing to {@code out}. */
    static Trainer trainer(Path recipe, ConfigOverrides overrides, Path out) {
        PipelineConfig config = PipelineConfig.load(recipe, overrides);
        return new Trainer(config, Trainer.settings(config), recipe.getParent(), out, runtime.loader(), manager);
    }
}
