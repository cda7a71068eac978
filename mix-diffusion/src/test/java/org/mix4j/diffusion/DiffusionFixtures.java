package org.mix4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipeline.ComponentLoader;
import org.mix4j.pipeline.ComponentSpec;
import org.mix4j.registry.MixSettings;

/** Shared test plumbing: one runtime, YAML sections, golden fixture directories, array comparisons. */
public final class DiffusionFixtures {

    private static MixRuntime runtime;

    private DiffusionFixtures() {}

    public static synchronized ComponentLoader loader() {
        if (runtime == null) {
            runtime = MixRuntime.start(MixSettings.builtInOnly());
        }
        return runtime.loader();
    }

    /** A fixture directory under {@code -Dmix.golden.dir}; fails (never skips) when it is missing. */
    public static Path golden(String relative) {
        Path dir = Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve(relative);
        if (!Files.isDirectory(dir)) {
            throw new AssertionError("golden fixture " + dir + " is missing");
        }
        return dir;
    }

    /** A component section parsed from YAML text, as a pipeline file would hold it. */
    public static ComponentSpec section(String slot, String yaml) {
        MapNode node = new YamlLoader().load(new StringReader(yaml), slot + ".yaml");
        return ComponentSpec.parse(slot, node);
    }

    /** Loads a YAML section (no checkpoint directory: use {@code init: random} or {@code weights:}). */
    public static <T> T load(String slot, Role role, String yaml, NDManager manager) {
        return loader().load(section(slot, yaml), role, null, manager, DataType.FLOAT32);
    }

    public static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }

    /** Whether {@code |actual - expected| <= atol + rtol * |expected|} everywhere. */
    public static boolean allClose(NDArray actual, NDArray expected, double atol, double rtol) {
        NDArray a = actual.toType(DataType.FLOAT64, false);
        NDArray e = expected.toType(DataType.FLOAT64, false);
        return a.sub(e).abs().lte(e.abs().mul(rtol).add(atol)).all().getBoolean();
    }
}
