package org.mix4j.pipelines.retrieval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The retrieval index file. Little-endian throughout:
 * <pre>
 * "MIXINDEX"              8 bytes magic
 * u32 H                   header length
 * H bytes                 header JSON: format, version, model {checkpoint, encoder, hash}, dim,
 *                         dtype "float16", count, normalized, root, entries_bytes
 * zero padding            up to a multiple of 64
 * count x dim fp16        L2-normalised embeddings, row-major
 * count records           u16 path length, UTF-8 path, i64 size, i64 mtime (ns)
 * u32 CRC-32              of every byte before it
 * "MXIE"                  end marker
 * </pre>
 * Writing goes to a temporary file in the same folder that is then moved over the target, so a
 * crash or an interrupt leaves the previous index intact ({@link AtomicFile}).
 */
public final class IndexFile {

    private static final byte[] MAGIC = "MIXINDEX".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "MXIE".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEADER = 1 << 20;
    private static final int ALIGN = 64;
    private static final int CHUNK = 1 << 20;

    private IndexFile() {}

    /**
     * Writes {@code contents} to {@code file} atomically (temp file in the same folder, a move, a
     * flush of the folder); when {@code file} is a symbolic link, the file it points to is replaced.
     */
    public static void write(Path file, IndexContents contents) {
        try {
            AtomicFile.write(file, ch -> writeTo(ch, contents));
        } catch (IOException e) {
            throw new IndexFileException(file, "cannot write the index: " + e, e);
        }
    }

    private static void writeTo(FileChannel ch, IndexContents contents) throws IOException {
        byte[] entries = encodeEntries(contents.entries());
        byte[] header = IndexHeader.toJson(contents, entries.length).toString().getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        int prefix = 12 + header.length;
        int padded = (prefix + ALIGN - 1) / ALIGN * ALIGN;
        ByteBuffer head = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).putInt(header.length).put(header);
        head.position(padded).flip();
        emit(ch, head, crc);
        short[] values = contents.embeddings();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < values.length; from += CHUNK / 2) {
            int n = Math.min(CHUNK / 2, values.length - from);
            chunk.clear();
            chunk.asShortBuffer().put(values, from, n);
            chunk.limit(2 * n);
            emit(ch, chunk, crc);
        }
        emit(ch, ByteBuffer.wrap(entries), crc);
        ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        tail.putInt((int) crc.getValue()).put(END).flip();
        emit(ch, tail, null);
    }

    private static void emit(FileChannel ch, ByteBuffer buffer, CRC32 crc) throws IOException {
        if (crc != null) {
            crc.update(buffer.duplicate());
        }
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    private static byte[] encodeEntries(List<IndexEntry> entries) {
        List<byte[]> paths = new ArrayList<>(entries.size());
        long total = 0;
        for (IndexEntry e : entries) {
            byte[] p = e.path().getBytes(StandardCharsets.UTF_8);
            if (p.length > 0xffff) {
                throw new IllegalArgumentException("path too long for the index (" + p.length + " bytes): " + e.path());
            }
            paths.add(p);
            total += 2 + p.length + 16;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many index entries (" + entries.size() + ")");
        }
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries.size(); i++) {
            b.putShort((short) paths.get(i).length).put(paths.get(i)).putLong(entries.get(i).size())
                    .putLong(entries.get(i).mtimeNanos());
        }
        return b.array();
    }

    /** Reads and checks an index; every problem is an {@link IndexFileException} naming the file. */
    public static IndexContents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readFrom(file, ch);
        } catch (NoSuchFileException e) {
            throw new IndexFileException(file, "no such index file (create it with 'mix index')");
        } catch (IOException e) {
            throw new IndexFileException(file, "cannot read the index: " + e, e);
        }
    }

    private static IndexContents readFrom(Path file, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        CRC32 crc = new CRC32();
        ByteBuffer start = readFully(file, ch, 12, crc);
        byte[] magic = new byte[8];
        start.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IndexFileException(file, "not a mix4j retrieval index (bad magic bytes)");
        }
        long headerLength = Integer.toUnsignedLong(start.getInt());
        if (headerLength > MAX_HEADER || 12 + headerLength > fileSize) {
            throw new IndexFileException(file, "corrupt index: header length " + headerLength + " does not fit the "
                    + fileSize + "-byte file");
        }
        IndexHeader header = IndexHeader.parse(file, readFully(file, ch, (int) headerLength, crc));
        long padded = (12 + headerLength + ALIGN - 1) / ALIGN * ALIGN;
        long expected = padded + header.count() * (long) header.dim() * 2 + header.entriesBytes() + 8;
        if (expected != fileSize) {
            throw new IndexFileException(file, "truncated or corrupt index: the header describes " + expected
                    + " bytes, the file has " + fileSize);
        }
        readFully(file, ch, (int) (padded - 12 - headerLength), crc);
        short[] embeddings = new short[Math.multiplyExact(header.count(), header.dim())];
        for (int from = 0; from < embeddings.length; from += CHUNK / 2) {
            int n = Math.min(CHUNK / 2, embeddings.length - from);
            readFully(file, ch, 2 * n, crc).asShortBuffer().get(embeddings, from, n);
        }
        ByteBuffer entryBytes = readFully(file, ch, (int) header.entriesBytes(), crc);
        ByteBuffer tail = readFully(file, ch, 8, null);
        byte[] end = new byte[4];
        int storedCrc = tail.getInt();
        tail.get(end);
        if (!Arrays.equals(end, END) || storedCrc != (int) crc.getValue()) {
            throw new IndexFileException(file, "corrupt index: checksum mismatch; delete it and run 'mix index' again");
        }
        List<IndexEntry> entries = decodeEntries(file, entryBytes, header.count());
        return new IndexContents(header.model(), header.root(), entries, embeddings);
    }

    private static List<IndexEntry> decodeEntries(Path file, ByteBuffer b, int count) {
        List<IndexEntry> entries = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                byte[] path = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(path);
                entries.add(new IndexEntry(new String(path, StandardCharsets.UTF_8), b.getLong(), b.getLong()));
            }
        } catch (RuntimeException e) {
            throw new IndexFileException(file, "corrupt index: entry table unreadable at entry " + entries.size(), e);
        }
        if (b.hasRemaining()) {
            throw new IndexFileException(file, "corrupt index: " + b.remaining() + " unexpected bytes after the entries");
        }
        return entries;
    }

    private static ByteBuffer readFully(Path file, FileChannel ch, int n, CRC32 crc) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IndexFileException(file, "truncated index file");
            }
        }
        b.flip();
        if (crc != null) {
            crc.update(b.duplicate());
        }
        return b;
    }
}
