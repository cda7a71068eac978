package org.mix4j.tensor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the {@link Int8Kernel} once. The Vector API class is named by string and loaded only here,
 * so a JVM that never quantizes never touches {@code jdk.incubator.vector}.
 */
final class Int8Kernels {

    private static final Logger LOG = LoggerFactory.getLogger(Int8Kernels.class);

    static final Int8Kernel BEST = choose();

    private Int8Kernels() {}

    private static Int8Kernel choose() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.warn("int8 products run as a scalar loop (several times slower): start the JVM with "
                    + "--add-modules jdk.incubator.vector for the Vector API kernel");
            return new ScalarInt8Kernel();
        }
        try {
            return (Int8Kernel) Class.forName("org.mix4j.tensor.VectorInt8Kernel").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("int8 products run as a scalar loop: the Vector API kernel did not load ({})", e.toString());
            return new ScalarInt8Kernel();
        }
    }
}
