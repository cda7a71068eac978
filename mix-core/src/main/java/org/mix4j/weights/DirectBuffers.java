package org.mix4j.weights;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct or mapped {@link ByteBuffer} at once instead of when the garbage collector gets to
 * it. Loading reads every tensor through such a buffer and hands the engine a copy; left to the
 * collector, the widened float32 copies of a BF16 checkpoint pile up (up to the direct-memory limit,
 * the heap size by default) beside the loaded model, doubling the memory loading needs.
 *
 * <p>Uses {@code sun.misc.Unsafe#invokeCleaner} (module {@code jdk.unsupported}, present in every
 * JDK 9+ and open without flags), as Lucene and Netty do; where it is missing, buffers are left to
 * the collector as before.
 */
final class DirectBuffers {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            cleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private DirectBuffers() {}

    /** Whether {@link #free} releases memory immediately on this JVM. */
    static boolean immediate() {
        return INVOKE_CLEANER != null;
    }

    /**
     * Releases {@code buffer}'s memory (or mapping) now. The buffer, and anything that still reads
     * its memory, must not be used afterwards. Heap buffers and views are ignored.
     */
    static void free(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a duplicate or slice (no cleaner of its own): the collector frees it with its parent
        }
    }
}
