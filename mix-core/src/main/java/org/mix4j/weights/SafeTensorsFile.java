package org.mix4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: an 8-byte little-endian header length, a JSON header, then raw tensor
 * data. The header is validated completely on open, before any tensor is touched, so that a broken
 * or hostile file fails with a message naming the file and tensor and nothing is ever allocated
 * from an unchecked size. Tensor data is read through the file API (not mapped) and copied into
 * native memory on {@link #read}.
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** Headers of this many bytes or more are refused before they are read (the reference's limit). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** BF16 and I16 tensors are read in pieces of this size and widened piece by piece. */
    private static final int WIDEN_CHUNK_BYTES = 1 << 20;

    /** What an implausible header most often means: the file is something else (a .bin, text, an image). */
    private static final String NOT_SAFETENSORS = "not a safetensors file: ";

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}. */
    public static SafeTensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw fail(path, "file is " + fileSize + " bytes, too short for the 8-byte header length (truncated?)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 0 || headerLength >= MAX_HEADER_BYTES) {
                throw fail(path, NOT_SAFETENSORS + "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit: headers must be shorter than " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > fileSize - 8) {
                throw fail(path, NOT_SAFETENSORS + "header length " + headerLength + " is beyond the end of the "
                        + "file (" + fileSize + " bytes; truncated?)");
            }
            long dataSize = fileSize - 8 - headerLength;
            channel.position(8);
            InputStream json = new LimitedInputStream(Channels.newInputStream(channel), headerLength);
            SafeTensorsHeader header = SafeTensorsHeader.parse(path, json, dataSize);
            checkRanges(path, header.tensors().values(), dataSize);
            return new SafeTensorsFile(path, channel, 8 + headerLength,
                    Collections.unmodifiableMap(header.tensors()), header.metadata());
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Data ranges must tile the data section exactly: no overlap, no hole, nothing unaccounted. */
    private static void checkRanges(Path path, java.util.Collection<TensorInfo> infos, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < cursor) {
                throw fail(path, t.name(), "data range [" + t.begin() + ", " + t.end() + ") overlaps tensor '"
                        + previous.name() + "' [" + previous.begin() + ", " + previous.end() + ")");
            }
            if (t.begin() > cursor) {
                throw fail(path, t.name(), "data range starts at " + t.begin() + " leaving a hole after byte "
                        + cursor + (previous == null ? "" : " (after tensor '" + previous.name() + "')"));
            }
            cursor = t.end();
            if (t.byteSize() > 0) {
                previous = t;
            }
        }
        if (cursor != dataSize) {
            throw fail(path, "tensors cover " + cursor + " bytes but the data section has " + dataSize
                    + " (trailing bytes not described by the header)");
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads {@code name} into {@code manager} in its stored dtype, except BF16 and I16, which are
     * widened to F32 and I32 (see {@link SafeDType#loadedType()}).
     */
    public NDArray read(String name, NDManager manager) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException(path + ": no tensor '" + name + "'");
        }
        long elements = info.shape().size();
        long loadedBytes = elements * info.dataType().getNumOfBytes();
        if (loadedBytes > Integer.MAX_VALUE - 8) {
            throw fail(path, name, "is " + loadedBytes + " bytes once loaded; tensors over 2 GiB are not supported");
        }
        ByteBuffer source = source(info, name);
        try {
            try (NDManager scope = manager.newSubManager()) {
                NDArray borrowed = scope.create(source, info.shape(), info.dataType());
                // An array made from a Java buffer only borrows that buffer's memory (here: the mapped
                // file or the widened copy); a clone gives the engine its own copy, so loaded weights
                // are ordinary tensors whose views stay valid whatever happens to the buffer.
                NDArray array = borrowed.duplicate();
                array.attach(manager);
                array.setName(name);
                return array;
            } // the borrowing array is closed here, before its memory goes
        } finally {
            DirectBuffers.free(source); // not left to the collector: widened copies would pile up
        }
    }

    /**
     * The tensor's bytes as the engine should read them: a copy read through the file API, widened
     * where needed. The file is not memory-mapped: a mapped file that shrinks while it is read
     * kills the JVM with SIGBUS, whereas a short read here is an error naming the tensor.
     */
    private ByteBuffer source(TensorInfo info, String name) {
        boolean widen = info.dtype() == SafeDType.BF16 || info.dtype() == SafeDType.I16;
        if (!widen) {
            ByteBuffer stored = ByteBuffer.allocateDirect((int) info.byteSize());
            readAt(stored, info.begin(), name);
            return stored.flip();
        }
        ByteBuffer wide = ByteBuffer.allocateDirect((int) (info.shape().size() * 4)).order(ByteOrder.nativeOrder());
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(info.byteSize(), WIDEN_CHUNK_BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (long at = info.begin(); at < info.end(); at += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), info.end() - at));
                readAt(chunk, at, name);
                chunk.flip();
                while (chunk.hasRemaining()) {
                    // bfloat16 is the upper half of an IEEE float32; int16 widens with its sign
                    wide.putInt(info.dtype() == SafeDType.BF16 ? (chunk.getShort() & 0xffff) << 16 : chunk.getShort());
                }
            }
        } catch (RuntimeException e) {
            DirectBuffers.free(wide);
            throw e;
        } finally {
            DirectBuffers.free(chunk);
        }
        return wide.rewind();
    }

    /** Fills {@code into} from data-section offset {@code at}; a short file is an error naming the tensor. */
    private void readAt(ByteBuffer into, long at, String name) {
        try {
            readFully(channel, into, dataStart + at);
        } catch (IOException e) {
            DirectBuffers.free(into);
            throw new CheckpointException(path + ": tensor '" + name + "': cannot read (" + e.getMessage()
                    + "; was the file changed or truncated after it was opened?)", e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long pos = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /** The first {@code remaining} bytes of a stream (the header), then end of input. */
    private static final class LimitedInputStream extends FilterInputStream {
        private long remaining;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            remaining -= b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            remaining -= Math.max(n, 0);
            return n;
        }

        @Override
        public void close() {
            // the channel stays open for the tensors
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do: the file was only read
        }
    }

    private static CheckpointException fail(Path path, String message) {
        return new CheckpointException(where(path) + ": " + message);
    }

    private static CheckpointException fail(Path path, String tensor, String message) {
        return new CheckpointException(where(path) + ": tensor '" + tensor + "': " + message);
    }

    /** The file, and for a symbolic link the file it points to: the one whose content is wrong. */
    static String where(Path path) {
        if (!Files.isSymbolicLink(path)) {
            return path.toString();
        }
        try {
            return path + " (-> " + path.toRealPath() + ")";
        } catch (IOException e) {
            return path.toString();
        }
    }
}
