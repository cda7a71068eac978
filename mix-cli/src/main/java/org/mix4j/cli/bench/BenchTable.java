package org.mix4j.cli.bench;

import java.util.Locale;

/** The text table of {@code mix bench}: one fixed-width line per {@link BenchResult}. */
final class BenchTable {

    private static final String FORMAT = "%-9s %-30s %-30s %10s %10s %10s  %-8s %s";

    private BenchTable() {}

    static String header() {
        return String.format(Locale.ROOT, FORMAT, "section", "subject", "metric", "median", "min", "max", "unit", "ratio")
                .stripTrailing();
    }

    static String row(BenchResult r) {
        String ratio = r.ratio() == null ? "" : String.format(Locale.ROOT, "%.2f of %s", r.ratio(), r.ratioOf());
        return String.format(Locale.ROOT, FORMAT, r.section(), r.subject(), r.metric(), number(r.median()),
                number(r.min()), number(r.max()), r.unit(), ratio).stripTrailing();
    }

    /** Four significant digits, without exponent for the magnitudes a benchmark reports. */
    static String number(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (a >= 0.001 || v == 0) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
