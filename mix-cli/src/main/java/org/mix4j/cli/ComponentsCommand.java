package org.mix4j.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.api.Role;
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
        List<String> roles = Arrays.stream(Role.values()).map(Role::displayName).toList();
        if (role != null && !roles.contains(role)) {
            throw new IllegalArgumentException("--role " + role + ": no such role; valid: " + String.join(", ", roles));
        }
        Registry registry = context.runtime().registry();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TYPE", "ROLE", "FROM", "DESCRIPTION"});
        for (RegisteredComponent c : registry.components()) {
            if (role == null || c.role().displayName().equals(role)) {
                rows.add(new String[] {c.type(), c.role().displayName(),
                    c.builtIn() ? c.origin() : "plugin " + c.origin(), c.factory().description()});
            }
        }
        printTable(rows);
        context.out().println((rows.size() - 1) + " component type(s)");
        long failed = registry.plugins().stream().filter(p -> !p.loaded()).count();
        if (failed > 0) {
            context.out().println(failed + " plugin(s) failed to load; see 'mix plugins'");
        }
        return 0;
    }

    /** Columns as wide as their widest cell, two spaces apart; the last column is not padded. */
    private void printTable(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length - 1; i++) {
                line.append(row[i]).append(" ".repeat(width[i] - row[i].length() + 2));
            }
            context.out().println(line.append(row[row.length - 1]).toString().stripTrailing());
        }
    }
}
