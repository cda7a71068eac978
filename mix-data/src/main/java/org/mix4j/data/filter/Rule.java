package org.mix4j.data.filter;

import java.io.Serializable;
import org.mix4j.data.records.Sample;

/**
 * One filter rule: keeps a sample, rewrites it (masking, stripping), or drops it with a reason.
 * Rules are plain serializable functions over samples, so they run as a Spark {@code map} /
 * {@code filter} as well as in {@link SampleFilter}. Stateful rules (duplicates) remember the
 * samples that passed them; on Spark those become a de-duplication step of their own.
 */
public interface Rule extends Serializable, AutoCloseable {

    /** The rule's name in reports and rules files ({@code min_side}, {@code mask_personal}). */
    String name();

    /** @param images the sample's images, decoded at most once for all rules */
    Verdict apply(Sample sample, SampleImages images);

    /** Frees what the rule loaded (a model); the default holds nothing. */
    @Override
    default void close() {}

    /**
     * What a rule made of a sample.
     *
     * @param sample the sample (rewritten or not); {@code null} when dropped
     * @param reason why it was dropped, or {@code null}
     */
    record Verdict(Sample sample, String reason) {

        public static Verdict keep(Sample s) {
            return new Verdict(s, null);
        }

        public static Verdict drop(String reason) {
            return new Verdict(null, reason);
        }

        public boolean dropped() {
            return reason != null;
        }
    }
}
