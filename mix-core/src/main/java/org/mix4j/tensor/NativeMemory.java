package org.mix4j.tensor;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands memory the process has freed back to the operating system.
 *
 * <p>Why: tensors come from the C allocator (glibc's malloc on Linux). When a load frees large
 * transient tensors (the fp32 weights a quantized layer replaced), glibc keeps every freed block
 * below its dynamic mmap threshold (up to 32 MiB) in its arenas, so the process stays as large as
 * it was at its peak: a Qwen2-0.5B checkpoint quantized to int8 measured larger than the same
 * model kept in fp32. {@code malloc_trim(0)} returns the whole free pages of every arena at once,
 * without changing how later tensors are allocated (a fixed, low mmap threshold would turn every
 * large tensor into a fresh mapping). Called through JNA, which DJL already brings; elsewhere than
 * glibc it does nothing.
 */
public final class NativeMemory {

    private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);

    /** glibc's {@code int malloc_trim(size_t pad)} and {@code struct mallinfo2 mallinfo2(void)} (glibc 2.33+). */
    interface GlibcMalloc extends Library {
        int malloc_trim(long pad);

        MallInfo2.ByValue mallinfo2();
    }

    /** glibc's {@code struct mallinfo2}: ten {@code size_t} counters. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd; // bytes in mmapped chunks
        public long usmblks;
        public long fsmblks;
        public long uordblks; // bytes in use in the arenas
        public long fordblks;
        public long keepcost;

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {
        }
    }

    private static volatile Object glibc; // a GlibcMalloc, or a String saying why there is none

    private NativeMemory() {
    }

    /**
     * Returns the C allocator's free pages to the operating system ({@code malloc_trim(0)}).
     *
     * @return whether anything could be returned (false without glibc)
     */
    public static boolean returnFreedPages() {
        Object lib = library();
        if (!(lib instanceof GlibcMalloc malloc)) {
            return false;
        }
        try {
            return malloc.malloc_trim(0) == 1;
        } catch (LinkageError | RuntimeException e) { // a C library without it: nothing to give back this way
            return false;
        }
    }

    /**
     * Bytes the C allocator has handed out and not had back (all arenas plus mmapped chunks): what a
     * leak of tensors or direct buffers grows, unlike the resident size, which also moves with the
     * Java heap's touched pages and the allocator's free lists. Empty without glibc 2.33+.
     */
    public static OptionalLong mallocBytesInUse() {
        if (library() instanceof GlibcMalloc malloc) {
            try {
                MallInfo2 info = malloc.mallinfo2();
                return OptionalLong.of(info.uordblks + info.hblkhd);
            } catch (LinkageError | RuntimeException e) { // glibc before 2.33
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    private static Object library() {
        Object lib = glibc;
        if (lib == null) {
            synchronized (NativeMemory.class) {
                if (glibc == null) {
                    glibc = load();
                }
                lib = glibc;
            }
        }
        return lib;
    }

    private static Object load() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "not Linux";
        }
        try {
            return Native.load("c", GlibcMalloc.class);
        } catch (LinkageError | RuntimeException e) { // musl and other C libraries have no malloc_trim; JNA may not load
            LOG.debug("malloc_trim is not available: {}", e.getMessage());
            return "no malloc_trim: " + e.getMessage();
        }
    }
}
