package org.mix4j.cli;

import java.util.concurrent.Callable;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "components", mixinStandardHelpOptions = true,
        description = "List every component type: its YAML name, role, and where it comes from.")
final class ComponentsCommand implements Callable<Integer>, Mix.ContextAware {

    @Option(names = "--role", description = "Only this role (vision_encoder, connector, ...).")
    String role;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Registry registry = context.runtime().registry();
        var out = context.out();
        out.printf("%-32s %-16s %s%n", "TYPE", "ROLE", "FROM");
        int n = 0;
        for (RegisteredComponent c : registry.components()) {
            if (role != null && !c.role().displayName().equals(role)) {
                continue;
            }
            String description = c.factory().description();
            out.printf("%-32s %-16s %s%s%n", c.type(), c.role().displayName(),
                    c.builtIn() ? c.origin() : "plugin " + c.origin(),
                    description.isEmpty() ? "" : "  " + description);
            n++;
        }
        out.println(n + " component type(s)");
        long failed = registry.plugins().stream().filter(p -> !p.loaded()).count();
        if (failed > 0) {
            out.println(failed + " plugin(s) failed to load; see 'mix plugins'");
        }
        return 0;
    }
}
