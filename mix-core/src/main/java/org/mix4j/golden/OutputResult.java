package org.mix4j.golden;

/**
 * How one output compared.
 *
 * @param maxAbsError largest {@code |actual - expected|} over the compared elements
 * @param mismatches elements outside the tolerance
 * @param compared elements compared (after {@code compare_where})
 * @param problem a shape or presence problem, or {@code null}
 */
public record OutputResult(String name, Tolerance tolerance, double maxAbsError, long mismatches, long compared,
        String problem) {

    public boolean passed() {
        return problem == null && mismatches == 0;
    }

    /** One-line summary, e.g. {@code logits max|err| 3.1e-06 (atol 1e-4, rtol 1e-4)}. */
    public String summary() {
        if (problem != null) {
            return name + ": " + problem;
        }
        String s = String.format("%s max|err| %.2e (%s)", name, maxAbsError, tolerance);
        return mismatches == 0 ? s : s + ", " + mismatches + " of " + compared + " elements outside";
    }
}
