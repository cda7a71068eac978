package org.mix4j.cli;

import java.util.concurrent.Callable;
import org.mix4j.registry.PluginStatus;
import picocli.CommandLine.Command;

@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the plugins in the plugins directory: loaded ones with their components, failed ones "
                + "with the reason.")
final class PluginsCommand implements Callable<Integer>, Mix.ContextAware {

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var out = context.out();
        var plugins = context.runtime().registry().plugins();
        out.println("plugins directory: " + context.pluginsDir().toAbsolutePath().normalize());
        if (plugins.isEmpty()) {
            out.println("no plugins");
            return 0;
        }
        for (PluginStatus p : plugins) {
            if (p.loaded()) {
                out.printf("LOADED  %s %s  (%s)%n", p.id(), p.version(), p.path().getFileName());
                p.types().forEach(t -> out.println("          " + t));
            } else {
                out.printf("FAILED  %s %s  (%s): %s%n", p.id(), p.version(), p.path().getFileName(), p.error());
            }
        }
        return 0;
    }
}
