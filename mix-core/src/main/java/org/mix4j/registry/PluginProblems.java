package org.mix4j.registry;

import org.pf4j.PluginWrapper;

/** Wording of the reasons a plugin is skipped. */
final class PluginProblems {

    private PluginProblems() {}

    /** A class whose interfaces include a ComponentFactory that is not the host's. */
    static boolean bundlesHostApi(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().equals(ComponentFactory.class.getName()) && i != ComponentFactory.class) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code class not found: <what> needs <missing>, which neither the plugin[, its dependencies] nor mix4j provides}. */
    static String classNotFound(String what, String missing, PluginWrapper plugin) {
        return "class not found: " + what + " needs " + missing + ", which neither the plugin"
                + (plugin.getDescriptor().getDependencies().isEmpty() ? "" : ", its dependencies") + " nor mix4j provides";
    }

    /** The class a {@code NoClassDefFoundError} / {@code ClassNotFoundException} names, or {@code null}. */
    static String missingClass(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if ((t instanceof NoClassDefFoundError || t instanceof ClassNotFoundException) && t.getMessage() != null) {
                return t.getMessage().replace('/', '.');
            }
        }
        return null;
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}
