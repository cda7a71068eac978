package org.mix4j.tensor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the {@link PackedKernel} once. The Vector API class is named by string and loaded only here,
 * so a JVM that never quantizes never touches {@code jdk.incubator.vector}.
 */
final class PackedKernels {

    private static final Logger LOG = LoggerFactory.getLogger(PackedKernels.class);

    static final PackedKernel BEST = choose();

    private PackedKernels() {}

    private static PackedKernel choose() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.warn("int8 and fp16 products run as a scalar loop (several times slower): start the JVM with "
                    + "--add-modules jdk.incubator.vector for the Vector API kernel");
            return new ScalarPackedKernel();
        }
        try {
            return (PackedKernel) Class.forName("org.mix4j.tensor.VectorPackedKernel").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("int8 and fp16 products run as a scalar loop: the Vector API kernel did not load ({})", e.toString());
            return new ScalarPackedKernel();
        }
    }
}
