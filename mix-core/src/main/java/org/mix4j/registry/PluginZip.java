package org.mix4j.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.pf4j.util.FileUtils;

/**
 * Unpacks a plugin zip into its folder. Used instead of pf4j's {@code Unzip}, whose check compares
 * paths as strings without a separator: an entry {@code ../plugin-x.jar} passed it for the folder
 * {@code plugin} and landed in the plugins directory, where it loaded on the next start. Here every
 * entry is checked before anything is written: one that would resolve outside the folder (a
 * {@code ..}, an absolute name, a drive letter) rejects the whole zip, and the folder's real path is
 * checked again as each file is written (a symbolic link already inside it cannot lead out).
 */
final class PluginZip {

    private PluginZip() {}

    /** Why a zip was not unpacked: names the zip and the entry. */
    static final class UnsafeEntry extends IOException {
        UnsafeEntry(String message) {
            super(message);
        }
    }

    /**
     * Replaces {@code folder} with the contents of {@code zip}.
     *
     * @throws UnsafeEntry when an entry would be written outside {@code folder}; nothing is written
     */
    static void unpack(Path zip, Path folder) throws IOException {
        Path root = folder.toAbsolutePath().normalize();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> e = file.entries(); e.hasMoreElements(); ) {
                target(zip, root, e.nextElement().getName());
            }
            if (Files.exists(root)) {
                FileUtils.delete(root);
            }
            Files.createDirectories(root);
            Path real = root.toRealPath();
            for (Enumeration<? extends ZipEntry> e = file.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                Path target = target(zip, root, entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (!target.getParent().toRealPath().startsWith(real)) {
                    throw unsafe(zip, entry.getName());
                }
                try (InputStream in = file.getInputStream(entry)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Where {@code name} unpacks to; a name that leaves {@code root} throws. */
    private static Path target(Path zip, Path root, String name) throws UnsafeEntry {
        String relative = name.replace('\\', '/');
        if (relative.startsWith("/") || relative.matches("^[A-Za-z]:.*")) {
            throw unsafe(zip, name);
        }
        Path target = root.resolve(relative).normalize();
        // Path.startsWith compares whole name elements: 'plugin-x.jar' does not start with 'plugin'
        if (!target.startsWith(root) || target.equals(root)) {
            throw unsafe(zip, name);
        }
        return target;
    }

    private static UnsafeEntry unsafe(Path zip, String name) {
        return new UnsafeEntry("zip entry '" + name + "' would be written outside the folder it unpacks into; "
                + zip.getFileName() + " is refused whole (zip slip)");
    }
}
