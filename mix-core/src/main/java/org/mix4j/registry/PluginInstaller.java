package org.mix4j.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.pf4j.util.FileUtils;

/**
 * Installs plugin archives into a plugins directory, and removes them. An archive is installed only
 * after it loaded in a separate JVM ({@link PluginCheck}, with the installed plugins it depends on),
 * so a broken plugin never reaches the plugins directory, and one that ends or hangs its process
 * ends or hangs only that JVM.
 */
public final class PluginInstaller {

    /** Why an install or remove was refused; the CLI prints the message and exits with {@code 1}. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    private final Path pluginsDir;
    private final PluginCheck check;

    public PluginInstaller(Path pluginsDir) {
        this(pluginsDir, MixSettings.DEFAULT_PLUGIN_TIMEOUT);
    }

    /** {@code pluginTimeout}: the plugin time limit of the check ({@link PluginCheck#processTimeout()}). */
    public PluginInstaller(Path pluginsDir, Duration pluginTimeout) {
        this.pluginsDir = pluginsDir;
        this.check = new PluginCheck(pluginTimeout);
    }

    /**
     * Copies {@code archive} into the plugins directory once it loads; with {@code force}, a plugin
     * with the same id is replaced, otherwise that is refused.
     *
     * @return the status of the plugin as it loaded in the check (its types)
     * @throws IllegalArgumentException when {@code archive} is not a plugin file at all
     */
    public PluginStatus install(Path archive, boolean force) throws Refused, IOException {
        if (!Files.isRegularFile(archive)) {
            throw new IllegalArgumentException(archive + ": no such file");
        }
        if (!PluginArchives.isArchive(archive)) {
            throw new IllegalArgumentException(archive + ": a plugin is a .jar or a .zip file");
        }
        PluginArchives.Archive candidate = PluginArchives.read(archive);
        if (candidate.problem() != null) {
            throw new Refused("cannot install " + archive.getFileName() + ": " + candidate.problem());
        }
        List<PluginArchives.Archive> installed = PluginArchives.list(pluginsDir);
        Path target = pluginsDir.resolve(archive.getFileName());
        if (Files.exists(target) && Files.isSameFile(target, archive)) {
            throw new Refused(archive + " is already in the plugins directory " + pluginsDir);
        }
        List<PluginArchives.Archive> same = installed.stream().filter(a -> candidate.id().equals(a.id())).toList();
        if (!same.isEmpty() && !force) {
            throw new Refused("plugin '" + candidate.id() + "' is already installed: " + same.get(0).label()
                    + "; use --force to replace it");
        }
        for (PluginArchives.Archive a : installed) {
            if (a.file().equals(target) && !candidate.id().equals(a.id())) {
                throw new Refused(target + " already exists and holds " + a.label() + "; rename " + archive.getFileName());
            }
        }
        PluginStatus status = check(archive, candidate.id(), installed);
        for (PluginArchives.Archive a : same) {
            PluginArchives.delete(a);
        }
        Files.createDirectories(pluginsDir);
        if (target.getFileName().toString().endsWith(".zip")) {
            Path folder = UnpackedZipRepository.folderOf(target);
            if (Files.isRegularFile(folder.resolve(UnpackedZipRepository.MARKER))) {
                FileUtils.delete(folder); // a stale unpacked copy of an older zip of that name
            } else if (Files.exists(folder)) {
                throw new Refused("the zip would unpack into " + folder + ", which exists and was not unpacked by "
                        + "mix4j; rename " + archive.getFileName());
            }
        }
        Files.copy(archive, target, StandardCopyOption.REPLACE_EXISTING);
        return status;
    }

    /**
     * Loads {@code archive} alone (plus the installed plugins it needs) in a separate JVM.
     *
     * @throws Refused with the loader's reason when it does not load
     */
    PluginStatus check(Path archive, String id, List<PluginArchives.Archive> installed) throws Refused, IOException {
        Path work = Files.createTempDirectory("mix-plugin-check");
        try {
            Files.copy(archive, work.resolve(archive.getFileName()));
            for (PluginArchives.Archive dep : dependencies(id, archive, installed)) {
                Files.copy(dep.file(), work.resolve(dep.file().getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            return check.run(work, archive.getFileName().toString(), id);
        } finally {
            FileUtils.delete(work);
        }
    }

    /** The installed archives {@code id} needs, transitively (other versions of itself left out). */
    private static List<PluginArchives.Archive> dependencies(String id, Path archive,
            List<PluginArchives.Archive> installed) {
        Set<PluginArchives.Archive> out = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(PluginArchives.read(archive).dependencies());
        Set<String> seen = new LinkedHashSet<>(List.of(id));
        while (!todo.isEmpty()) {
            String next = todo.pop();
            if (!seen.add(next)) {
                continue;
            }
            for (PluginArchives.Archive a : installed) {
                if (next.equals(a.id())) {
                    out.add(a);
                    todo.addAll(a.dependencies());
                }
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * Deletes the plugin with this id (or archive file name), and the folder a zip was unpacked into.
     *
     * @return what was removed
     * @throws Refused when nothing matches
     */
    public List<PluginArchives.Archive> remove(String idOrFile) throws Refused, IOException {
        List<PluginArchives.Archive> installed = PluginArchives.list(pluginsDir);
        List<PluginArchives.Archive> matches = installed.stream().filter(a -> a.matches(idOrFile)).toList();
        if (matches.isEmpty()) {
            List<String> names = installed.stream().map(a -> a.id() != null ? a.id() : a.file().getFileName().toString())
                    .distinct().toList();
            throw new Refused("no plugin '" + idOrFile + "' in " + pluginsDir
                    + (names.isEmpty() ? " (it holds no plugins)" : " (installed: " + String.join(", ", names) + ")"));
        }
        for (PluginArchives.Archive a : matches) {
            PluginArchives.delete(a);
        }
        return matches;
    }

    /** Installed plugins that require {@code id}: they will fail to load once it is removed. */
    public List<PluginArchives.Archive> dependents(String id) {
        return PluginArchives.list(pluginsDir).stream().filter(a -> a.dependencies().contains(id)).toList();
    }
}
