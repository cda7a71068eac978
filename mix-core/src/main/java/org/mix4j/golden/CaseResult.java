package org.mix4j.golden;

import java.util.Comparator;
import java.util.List;

/**
 * The outcome of one case.
 *
 * @param message for NO_RUNNER and ERROR: what happened
 */
public record CaseResult(GoldenCase goldenCase, Status status, List<OutputResult> outputs, String message,
        Throwable error, long millis) {

    public enum Status { PASS, FAIL, NO_RUNNER, ERROR }

    public boolean passed() {
        return status == Status.PASS;
    }

    /** The output closest to (or furthest past) its tolerance. */
    public OutputResult worst() {
        return outputs.stream().max(Comparator.comparingDouble(CaseResult::badness)).orElse(null);
    }

    private static double badness(OutputResult r) {
        if (!r.passed()) {
            return Double.POSITIVE_INFINITY;
        }
        Tolerance t = r.tolerance();
        double allowed = t.exact() ? 0 : t.atol();
        return allowed == 0 ? (r.maxAbsError() == 0 ? 0 : Double.MAX_VALUE) : r.maxAbsError() / allowed;
    }

    /** One line: status, case, kind, worst error and its tolerance or the reason. */
    public String line() {
        String label = switch (status) {
            case PASS -> "PASS     ";
            case FAIL -> "FAIL     ";
            case NO_RUNNER -> "NO RUNNER";
            case ERROR -> "FAIL     ";
        };
        String detail;
        if (status == Status.PASS || status == Status.FAIL) {
            OutputResult w = worst();
            detail = w == null ? "no outputs" : "worst " + w.summary();
            if (status == Status.FAIL) {
                detail = String.join("; ", outputs.stream().filter(o -> !o.passed()).map(OutputResult::summary).toList());
            }
        } else {
            detail = message;
        }
        return String.format("%s %-28s %-20s %s  [%d ms]", label, goldenCase.name(), goldenCase.kind(), detail, millis);
    }
}
