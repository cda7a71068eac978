package org.mix4j.plugins.torchscript;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a minimal TorchScript archive by hand (what {@code torch.jit.save} writes for a module
 * without parameters): TorchScript source in {@code code/__torch__.py}, the module object pickled in
 * {@code data.pkl}, no constants, file format version 3. It lets the tests exercise modules with
 * several inputs without Python.
 */
final class TorchScriptArchive {

    private TorchScriptArchive() {}

    /**
     * @param className the module's class in {@code __torch__}
     * @param forward the body of {@code forward}, TorchScript's serialized Python subset, starting
     *     with its signature line(s) after {@code def forward(self: __torch__.<className>,}
     */
    static Path write(Path file, String className, String forward) throws IOException {
        String archive = file.getFileName().toString().replaceFirst("\\.pt$", "");
        String code = """
                class %s(Module):
                  __parameters__ = []
                  __buffers__ = []
                  training : bool
                  def forward(self: __torch__.%s,
                %s
                """.formatted(className, className, forward.stripTrailing());
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(archive + "/data.pkl", modulePickle(className));
        entries.put(archive + "/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
        entries.put(archive + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, empty tuple
        entries.put(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED); // libtorch reads records uncompressed
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    /** {@code __torch__.<className>} object with {@code training = False}, as torch's pickler writes it. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80); // PROTO 2
        b.write(2);
        b.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        b.write('q'); // BINPUT 0
        b.write(0);
        b.write(')'); // EMPTY_TUPLE
        b.write(0x81); // NEWOBJ
        b.write('}'); // EMPTY_DICT
        b.write('('); // MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        b.write('X'); // BINUNICODE
        b.write(key.length);
        b.write(0);
        b.write(0);
        b.write(0);
        b.writeBytes(key);
        b.write('q'); // BINPUT 1
        b.write(1);
        b.write(0x89); // NEWFALSE
        b.write('u'); // SETITEMS
        b.write('b'); // BUILD
        b.write('.'); // STOP
        return b.toByteArray();
    }
}
