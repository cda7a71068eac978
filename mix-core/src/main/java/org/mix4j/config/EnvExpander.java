package org.mix4j.config;

import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Expands {@code ${VAR}} and {@code ${VAR:-default}} in config strings. */
public final class EnvExpander {

    private static final Pattern REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> env;

    public EnvExpander(Function<String, String> env) {
        this.env = env;
    }

    public static EnvExpander system() {
        return new EnvExpander(System::getenv);
    }

    public static EnvExpander of(Map<String, String> vars) {
        return new EnvExpander(vars::get);
    }

    /**
     * @return the expanded text
     * @throws IllegalArgumentException naming the variable when it is unset and has no default
     */
    public String expand(String text) {
        if (text.indexOf("${") < 0) {
            return text;
        }
        Matcher m = REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null || (value.isEmpty() && m.group(2) != null)) {
                if (m.group(2) == null) {
                    throw new IllegalArgumentException("environment variable " + m.group(1)
                            + " is not set (write ${" + m.group(1) + ":-default} to give a default)");
                }
                value = m.group(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
