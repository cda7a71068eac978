package org.mix4j.registry;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;

/** Names the module a built-in class came from, from its jar or classes directory. */
final class Origins {

    private Origins() {}

    static String of(Class<?> type) {
        try {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return "classpath";
            }
            Path p = Path.of(source.getLocation().toURI());
            String name = p.getFileName().toString();
            if (name.endsWith(".jar")) {
                return name.replaceFirst("-\\d[\\w.\\-]*\\.jar$", "").replaceFirst("\\.jar$", "");
            }
            // .../mix-encoders/target/classes or .../target/test-classes
            Path target = p.getParent();
            if (target != null && target.getFileName().toString().equals("target") && target.getParent() != null) {
                String module = target.getParent().getFileName().toString();
                return name.equals("test-classes") ? module + " (tests)" : module;
            }
            return name;
        } catch (URISyntaxException | RuntimeException e) {
            return "classpath";
        }
    }
}
