package org.mix4j.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;
import org.pf4j.util.FileUtils;

/** The plugin archives of a plugins directory, read from their descriptors without loading any class. */
public final class PluginArchives {

    private PluginArchives() {}

    /**
     * One plugin jar or zip.
     *
     * @param file the {@code .jar} or {@code .zip}
     * @param unpacked the folder mix4j unpacked a zip into, or {@code null}
     * @param id plugin id, or {@code null} when the descriptor cannot be read
     * @param version plugin version, or empty
     * @param dependencies ids of the plugins it requires (optional ones left out)
     * @param problem why the descriptor cannot be read, or {@code null}
     */
    public record Archive(Path file, Path unpacked, String id, String version, List<String> dependencies,
            String problem) {

        /** Whether {@code idOrFile} names this archive by plugin id or by file name. */
        public boolean matches(String idOrFile) {
            return idOrFile.equals(id) || idOrFile.equals(file.getFileName().toString());
        }

        public String label() {
            return (id != null ? id + " " + version : "?") + " (" + file.getFileName() + ")";
        }
    }

    public static boolean isArchive(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".jar") || name.endsWith(".zip");
    }

    /** Every {@code .jar} and {@code .zip} directly in {@code dir}, by file name; empty when {@code dir} is absent. */
    public static List<Archive> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Archive> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> Files.isRegularFile(f) && isArchive(f)).sorted().toList()) {
                out.add(read(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins directory " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The descriptor of one archive; problems are reported in {@link Archive#problem()}, never thrown. */
    public static Archive read(Path file) {
        Path folder = file.getFileName().toString().endsWith(".zip") ? UnpackedZipRepository.folderOf(file) : null;
        Path unpacked = folder != null && Files.isRegularFile(folder.resolve(UnpackedZipRepository.MARKER)) ? folder : null;
        try {
            PluginDescriptor d = new QuietDescriptorFinder().find(file);
            List<String> deps = d.getDependencies().stream().filter(x -> !x.isOptional())
                    .map(PluginDependency::getPluginId).toList();
            return new Archive(file, unpacked, d.getPluginId(), d.getVersion() == null ? "" : d.getVersion(), deps, null);
        } catch (RuntimeException e) {
            return new Archive(file, unpacked, null, "", List.of(), "not a readable plugin archive: "
                    + PluginProblems.describe(e));
        }
    }

    /** Deletes an archive and the folder mix4j unpacked it into (never a folder it did not unpack). */
    public static void delete(Archive a) throws IOException {
        Files.deleteIfExists(a.file());
        if (a.unpacked() != null) {
            FileUtils.delete(a.unpacked());
        }
    }
}
