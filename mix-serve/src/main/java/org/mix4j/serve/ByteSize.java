package org.mix4j.serve;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes in bytes written as a number or with a unit: {@code 1048576}, {@code "512MB"}, {@code "2GiB"}. */
final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?)B?");

    private ByteSize() {}

    /**
     * @param key the setting, first in the message so that config errors point at its line
     * @param value a whole number of bytes or a string with a unit (KB = 1000, KiB = 1024)
     */
    static long parse(String key, Object value) {
        if (value instanceof Long l && l > 0) {
            return l;
        }
        if (value instanceof String s) {
            Matcher m = SIZE.matcher(s.strip().toUpperCase(Locale.ROOT));
            if (m.matches() && (m.group(3).isEmpty() || !m.group(2).isEmpty())) {
                double base = m.group(3).isEmpty() ? 1000 : 1024;
                int power = "KMGT".indexOf(m.group(2)) + 1;
                double bytes = Double.parseDouble(m.group(1)) * Math.pow(base, m.group(2).isEmpty() ? 0 : power);
                if (bytes >= 1 && bytes < 9e18) {
                    return (long) bytes;
                }
            }
        }
        throw new IllegalArgumentException(key + " must be a number of bytes > 0 or a size such as \"512MB\" or "
                + "\"2GiB\", got '" + value + "'");
    }
}
