package org.mix4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.registry.PluginArchives;
import org.mix4j.registry.PluginInstaller;
import org.mix4j.registry.PluginStatus;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the plugins in the plugins directory: loaded ones with their version and components, "
                + "failed ones with the reason. Subcommands install and remove plugins.",
        subcommands = {PluginsCommand.Install.class, PluginsCommand.Remove.class})
final class PluginsCommand implements Callable<Integer>, Mix.ContextAware {

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var out = context.out();
        if (context.pluginsAreOff()) {
            return listUnloaded();
        }
        Registry registry = context.runtime().registry();
        List<PluginStatus> plugins = registry.plugins();
        out.println("plugins directory: " + context.pluginsDir().toAbsolutePath().normalize());
        if (plugins.isEmpty()) {
            out.println("no plugins");
            return 0;
        }
        for (PluginStatus p : plugins) {
            String where = archiveName(p.path());
            if (p.loaded()) {
                out.printf("LOADED  %s %s  (%s)%n", p.id(), p.version(), where);
                for (String type : p.types()) {
                    RegisteredComponent c = registry.find(type);
                    out.printf("          %-40s %s%n", type, c == null ? "" : c.role().displayName());
                }
            } else {
                out.printf("FAILED  %s%s  (%s): %s%n", p.id(), p.version().isEmpty() ? "" : " " + p.version(), where,
                        p.error());
            }
        }
        long failed = plugins.stream().filter(p -> !p.loaded()).count();
        out.println(plugins.size() + " plugin(s): " + (plugins.size() - failed) + " loaded, " + failed + " failed");
        return 0;
    }

    /** With plugins off: what the plugins directory holds, read from the descriptors, no plugin code run. */
    private int listUnloaded() {
        var out = context.out();
        out.println("plugins directory: " + context.pluginsDir().toAbsolutePath().normalize());
        out.println("plugins are off (--no-plugins or MIX_NO_PLUGINS): none was loaded");
        List<PluginArchives.Archive> archives = PluginArchives.list(context.pluginsDir());
        for (PluginArchives.Archive a : archives) {
            out.printf("OFF     %s%n", a.label());
        }
        out.println(archives.size() + " plugin(s), none loaded; 'mix plugins remove ID' removes one");
        return 0;
    }

    /** The file a user installed: the zip for a plugin loaded from the folder it was unpacked into. */
    private static String archiveName(Path path) {
        String name = path.getFileName().toString();
        return java.nio.file.Files.isDirectory(path)
                && java.nio.file.Files.isRegularFile(path.resolveSibling(name + ".zip")) ? name + ".zip" : name;
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Copy a plugin jar or zip into the plugins directory after checking, in a separate JVM and "
                    + "within the plugin time limit, that it loads on its own (with the installed plugins it depends "
                    + "on). A plugin runs with mix's rights: install only what you trust (docs/security.md). Exit code "
                    + "1 when it does not load or its id is already installed (see --force), 2 when PATH is not a "
                    + "plugin file.")
    static final class Install implements Callable<Integer>, Mix.ContextAware {

        @Parameters(paramLabel = "PATH", description = "The plugin .jar or .zip.")
        Path archive;

        @Option(names = "--force", description = "Replace an installed plugin with the same id.")
        boolean force;

        private CliContext context;

        @Override
        public void init(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException {
            try {
                PluginStatus s = new PluginInstaller(context.pluginsDir(), CliContext.defaultPluginTimeout())
                        .install(archive, force);
                context.out().printf("installed %s %s into %s%n", s.id(), s.version(),
                        context.pluginsDir().toAbsolutePath().normalize());
                s.types().forEach(t -> context.out().println("  " + t));
                return 0;
            } catch (PluginInstaller.Refused e) {
                context.err().println("error: " + e.getMessage());
                return 1;
            } catch (IllegalArgumentException e) {
                context.err().println("error: " + e.getMessage());
                return 2;
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Delete a plugin from the plugins directory (its jar, or its zip and the folder it was "
                    + "unpacked into). Exit code 1 when no such plugin is installed.")
    static final class Remove implements Callable<Integer>, Mix.ContextAware {

        @Parameters(paramLabel = "ID", description = "Plugin id (or the archive's file name).")
        String id;

        private CliContext context;

        @Override
        public void init(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException {
            PluginInstaller installer = new PluginInstaller(context.pluginsDir());
            try {
                for (PluginArchives.Archive a : installer.remove(id)) {
                    context.out().println("removed " + a.label()
                            + (a.unpacked() != null ? " and its folder " + a.unpacked().getFileName() : ""));
                }
            } catch (PluginInstaller.Refused e) {
                context.err().println("error: " + e.getMessage());
                return 1;
            }
            for (PluginArchives.Archive d : installer.dependents(id)) {
                context.err().println("warning: " + d.label() + " requires '" + id + "' and will no longer load");
            }
            return 0;
        }
    }
}
