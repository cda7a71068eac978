package org.mix4j.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/**
 * Runs golden cases of some kinds. Each module (and any plugin) contributes the runners for the
 * kinds it implements, as {@code @Extension}s; they are created by Guice and may inject the
 * {@code Registry} or {@code ComponentLoader}.
 */
public interface CaseRunner extends ExtensionPoint {

    /** The {@code kind} values of {@code case.json} this runner handles. */
    Set<String> kinds();

    /**
     * Loads the case's model through the normal loading path, makes the call {@code case.json}
     * describes, and returns the outputs by their names in {@code case.json outputs}.
     *
     * @param manager scope for the outputs and anything else; closed by the caller
     */
    Map<String, NDArray> run(GoldenCase goldenCase, NDManager manager) throws Exception;
}
