package org.mix4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: an 8-byte little-endian header length, a JSON header, then raw tensor
 * data. The header is validated completely on open, before any tensor is touched, so that a broken
 * or hostile file fails with a message naming the file and tensor and nothing is ever allocated
 * from an unchecked size. Tensor data is memory-mapped and copied once into native memory on
 * {@link #read}.
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** Headers larger than this are refused before they are read. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

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
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw fail(path, NOT_SAFETENSORS + "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > fileSize - 8) {
                throw fail(path, NOT_SAFETENSORS + "header length " + headerLength + " is beyond the end of the "
                        + "file (" + fileSize + " bytes; truncated?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            long dataSize = fileSize - 8 - headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, json, dataSize, metadata);
            return new SafeTensorsFile(path, channel, 8 + headerLength, tensors, metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(
            Path path, String json, long dataSize, Map<String, String> metadata) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw fail(path, NOT_SAFETENSORS + "header is not valid JSON: " + rootMessage(e));
        }
        if (!root.isJsonObject()) {
            throw fail(path, NOT_SAFETENSORS + "header must be a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                readMetadata(path, e.getValue(), metadata);
                continue;
            }
            tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataSize));
        }
        checkRanges(path, tensors.values(), dataSize);
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo parseEntry(Path path, String name, JsonElement value, long dataSize) {
        if (!value.isJsonObject()) {
            throw fail(path, name, "header entry must be an object with dtype, shape and data_offsets");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeEl = o.get("dtype");
        if (dtypeEl == null || !dtypeEl.isJsonPrimitive()) {
            throw fail(path, name, "missing dtype");
        }
        SafeDType dtype = SafeDType.parse(dtypeEl.getAsString());
        if (dtype == null) {
            throw fail(path, name, "unknown dtype '" + dtypeEl.getAsString() + "' (supported: " + SafeDType.known() + ")");
        }
        long[] dims = longArray(path, name, o.get("shape"), "shape", -1);
        long[] offsets = longArray(path, name, o.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw fail(path, name, "data_offsets [" + begin + ", " + end + "] are out of order");
        }
        if (end > dataSize) {
            throw fail(path, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data ("
                    + dataSize + " bytes; file truncated or offsets out of range)");
        }
        long elements = 1;
        try {
            for (long d : dims) {
                elements = Math.multiplyExact(elements, d);
            }
            long expectedBytes = Math.multiplyExact(elements, dtype.bytes());
            if (expectedBytes != end - begin) {
                throw fail(path, name, "shape " + new Shape(dims) + " x " + dtype + " is " + expectedBytes
                        + " bytes but data_offsets span " + (end - begin));
            }
        } catch (ArithmeticException overflow) {
            throw fail(path, name, "shape " + java.util.Arrays.toString(dims) + " overflows");
        }
        return new TensorInfo(name, dtype, new Shape(dims), begin, end);
    }

    private static long[] longArray(Path path, String name, JsonElement el, String field, int length) {
        if (el == null || !el.isJsonArray()) {
            throw fail(path, name, "missing or non-array " + field);
        }
        JsonArray a = el.getAsJsonArray();
        if (length >= 0 && a.size() != length) {
            throw fail(path, name, field + " must have " + length + " entries, has " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            long x;
            try {
                x = v.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
            } catch (RuntimeException e) {
                throw fail(path, name, field + " holds a non-integer " + v);
            }
            if (x < 0) {
                throw fail(path, name, field + " holds a negative value " + x);
            }
            out[i] = x;
        }
        return out;
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

    private static void readMetadata(Path path, JsonElement el, Map<String, String> metadata) {
        if (!el.isJsonObject()) {
            throw fail(path, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonElement> m : el.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive()) {
                throw fail(path, "__metadata__." + m.getKey() + " must be a string");
            }
            metadata.put(m.getKey(), m.getValue().getAsString());
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

    /** The tensor's bytes as the engine should read them: the mapped file, or a widened copy. */
    private ByteBuffer source(TensorInfo info, String name) {
        if (info.byteSize() == 0) {
            return ByteBuffer.allocateDirect(0);
        }
        MappedByteBuffer mapped;
        try {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteSize());
        } catch (IOException e) {
            throw new CheckpointException(path + ": tensor '" + name + "': cannot read: " + e.getMessage(), e);
        }
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        if (info.dtype() != SafeDType.BF16 && info.dtype() != SafeDType.I16) {
            return mapped;
        }
        ByteBuffer wide = ByteBuffer.allocateDirect((int) (info.shape().size() * 4)).order(ByteOrder.nativeOrder());
        while (mapped.hasRemaining()) {
            // bfloat16 is the upper half of an IEEE float32; int16 widens with its sign
            wide.putInt(info.dtype() == SafeDType.BF16 ? (mapped.getShort() & 0xffff) << 16 : mapped.getShort());
        }
        return wide.rewind();
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

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do: the file was only read
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        // Gson adds a second line pointing at its troubleshooting page
        return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
    }

    private static CheckpointException fail(Path path, String message) {
        return new CheckpointException(where(path) + ": " + message);
    }

    private static CheckpointException fail(Path path, String tensor, String message) {
        return new CheckpointException(where(path) + ": tensor '" + tensor + "': " + message);
    }

    /** The file, and for a symbolic link the file it points to: the one whose content is wrong. */
    private static String where(Path path) {
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
