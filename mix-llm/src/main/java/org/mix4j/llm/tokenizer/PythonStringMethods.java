package org.mix4j.llm.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods that Hugging Face chat templates call ({@code content.strip()},
 * {@code role.upper()}, {@code text.startswith('<')}, {@code s.split('\n')} ...), which Jinja2
 * offers and Jinjava, working on Java strings, does not. Placed first in the resolver chain, so a
 * Python name wins over a Java method of the same name ({@code strip} strips only whitespace or
 * the given characters, as in Python).
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        switch (method.toString()) {
            case "strip" -> result = rstrip(lstrip(s, chars(p)), chars(p));
            case "lstrip" -> result = lstrip(s, chars(p));
            case "rstrip" -> result = rstrip(s, chars(p));
            case "upper" -> result = s.toUpperCase(Locale.ROOT);
            case "lower" -> result = s.toLowerCase(Locale.ROOT);
            case "title" -> result = title(s);
            case "capitalize" -> result = s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "startswith" -> result = anyAffix(s, p, true);
            case "endswith" -> result = anyAffix(s, p, false);
            case "split" -> result = split(s, p);
            case "replace" -> result = p.length >= 2 ? s.replace(String.valueOf(p[0]), String.valueOf(p[1])) : null;
            case "find" -> result = p.length >= 1 ? (Object) (long) s.indexOf(String.valueOf(p[0])) : null;
            case "count" -> result = p.length >= 1 ? (Object) count(s, String.valueOf(p[0])) : null;
            case "join" -> result = p.length == 1 ? join(s, p[0]) : null;
            default -> result = null;
        }
        if (result != null) {
            context.setPropertyResolved(true);
        }
        return result;
    }

    private static String chars(Object[] p) {
        return p.length == 0 || p[0] == null ? null : String.valueOf(p[0]);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strippable(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            sb.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static Boolean anyAffix(String s, Object[] p, boolean prefix) {
        if (p.length == 0) {
            return null;
        }
        Iterable<?> options = p[0] instanceof Iterable<?> it ? it : List.of(p[0]);
        for (Object o : options) {
            String affix = String.valueOf(o);
            if (prefix ? s.startsWith(affix) : s.endsWith(affix)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> split(String s, Object[] p) {
        String sep = p.length == 0 || p[0] == null ? null : String.valueOf(p[0]);
        int max = p.length >= 2 && p[1] instanceof Number n ? n.intValue() : -1;
        List<String> out = new ArrayList<>();
        if (sep == null) {
            String rest = s.strip();
            while (!rest.isEmpty()) {
                if (max >= 0 && out.size() == max) {
                    out.add(rest);
                    return out;
                }
                String[] parts = rest.split("\\s+", 2);
                out.add(parts[0]);
                rest = parts.length > 1 ? parts[1] : "";
            }
            return out;
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0 || sep.isEmpty()) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            it.forEach(x -> parts.add(String.valueOf(x)));
        } else if (items instanceof Object[] array) {
            Arrays.stream(array).forEach(x -> parts.add(String.valueOf(x)));
        } else {
            return null;
        }
        return String.join(sep, parts);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not a property resolver
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
