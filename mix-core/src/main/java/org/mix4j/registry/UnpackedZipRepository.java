package org.mix4j.registry;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.pf4j.BasePluginRepository;
import org.pf4j.util.FileUtils;

/**
 * Plugin zips ({@code classes/} and {@code lib/*.jar}, pf4j's layout), unpacked into a folder of the
 * same name next to the zip. pf4j's own repository deletes and rewrites that folder whatever it
 * holds; here a folder is only ever (re)written when mix4j unpacked it before (it carries
 * {@link #MARKER}), so a zip named like a source folder (the plugins directory holds the example
 * plugins' sources) is reported instead of wiping the folder. Other directories are ignored. Zips
 * are unpacked by {@link PluginZip}, which refuses entries that would land outside the folder.
 */
final class UnpackedZipRepository extends BasePluginRepository {

    /** Written into every folder this repository unpacked. */
    static final String MARKER = ".mix4j-unpacked";

    private final List<PluginStatus> problems = new ArrayList<>();

    UnpackedZipRepository(List<Path> roots) {
        super(roots);
        setFilter(f -> f.isDirectory() && Files.isRegularFile(zipOf(f.toPath())) && new File(f, MARKER).isFile());
        setComparator(Comparator.comparing(File::getName));
    }

    /** The folder a zip unpacks into. */
    static Path folderOf(Path zip) {
        String name = zip.getFileName().toString();
        return zip.resolveSibling(name.substring(0, name.length() - ".zip".length()));
    }

    static Path zipOf(Path folder) {
        return folder.resolveSibling(folder.getFileName() + ".zip");
    }

    /** Zips that could not be unpacked in the last {@link #getPluginPaths()}. */
    List<PluginStatus> problems() {
        return List.copyOf(problems);
    }

    @Override
    public List<Path> getPluginPaths() {
        problems.clear();
        for (Path root : pluginsRoots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> s = Files.list(root)) {
                for (Path zip : s.filter(p -> p.getFileName().toString().endsWith(".zip")).sorted().toList()) {
                    unpack(zip);
                }
            } catch (IOException e) {
                problems.add(new PluginStatus(root.toString(), "", root, false, List.of(),
                        "cannot list the plugins directory: " + e.getMessage()));
            }
        }
        return super.getPluginPaths();
    }

    private void unpack(Path zip) {
        Path folder = folderOf(zip);
        Path marker = folder.resolve(MARKER);
        try {
            if (Files.exists(folder) && !Files.isRegularFile(marker)) {
                problems.add(new PluginStatus(zip.getFileName().toString(), "", zip, false, List.of(),
                        "cannot unpack: the folder " + folder.getFileName() + " next to it was not unpacked by mix4j; "
                                + "rename the zip or move the folder"));
                return;
            }
            if (Files.isRegularFile(marker)
                    && Files.getLastModifiedTime(zip).compareTo(Files.getLastModifiedTime(marker)) <= 0) {
                return; // unpacked already, and the zip has not changed since
            }
            PluginZip.unpack(zip, folder);
            Files.writeString(marker, zip.getFileName().toString() + "\n");
        } catch (PluginZip.UnsafeEntry e) {
            deleteQuietly(folder, marker); // an older zip's contents must not load in this one's place
            problems.add(new PluginStatus(zip.getFileName().toString(), "", zip, false, List.of(),
                    "cannot unpack: " + e.getMessage()));
        } catch (IOException | RuntimeException e) {
            problems.add(new PluginStatus(zip.getFileName().toString(), "", zip, false, List.of(),
                    "cannot unpack: " + PluginProblems.describe(e)));
        }
    }

    private static void deleteQuietly(Path folder, Path marker) {
        try {
            if (Files.isRegularFile(marker)) {
                FileUtils.delete(folder);
            }
        } catch (IOException ignored) {
            // the zip is reported failed either way
        }
    }

    @Override
    public boolean deletePluginPath(Path pluginPath) {
        try {
            FileUtils.delete(pluginPath);
            Files.deleteIfExists(zipOf(pluginPath));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
