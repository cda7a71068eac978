package org.mix4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.File;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.YamlLoader;
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

    /** The fixture roots of {@code -Dmix.golden.dir} (several separated by the path separator). */
    public static List<Path> goldenRoots() {
        String dirs = System.getProperty("mix.golden.dir", "../testdata/golden");
        return Arrays.stream(dirs.split(File.pathSeparator)).map(Path::of).toList();
    }

    /**
     * A fixture directory: {@code relative} under one of the roots, or a root that is that
     * fixture itself. Fails (never skips) when it is missing.
     */
    public static Path golden(String relative) {
        for (Path root : goldenRoots()) {
            if (Files.isDirectory(root.resolve(relative))) {
                return root.resolve(relative);
            }
            if (root.endsWith(relative) && Files.isDirectory(root)) {
                return root;
            }
        }
        throw new AssertionError("golden fixture '" + relative + "' is missing under " + goldenRoots());
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
