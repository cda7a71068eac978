package org.mix4j.data.filter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecoder;

/**
 * Runs rules in order over samples, counting for each rule the samples it dropped (with why, and
 * a few example ids) and the ones it rewrote.
 */
public final class SampleFilter implements AutoCloseable {

    /** How many example ids a rule's count lists. */
    public static final int EXAMPLES = 5;

    /** What one rule did over the run. */
    public static final class Count {
        private final String rule;
        private long removed;
        private long changed;
        private final List<String> examples = new ArrayList<>();

        Count(String rule) {
            this.rule = rule;
        }

        /** A count made elsewhere (a Spark job's tally of a rule). */
        public static Count of(String rule, long removed, long changed, List<String> examples) {
            Count c = new Count(rule);
            c.removed = removed;
            c.changed = changed;
            c.examples.addAll(examples.subList(0, Math.min(EXAMPLES, examples.size())));
            return c;
        }

        public String rule() {
            return rule;
        }

        public long removed() {
            return removed;
        }

        public long changed() {
            return changed;
        }

        /** Up to {@value #EXAMPLES} {@code id: reason} of dropped (or rewritten) samples. */
        public List<String> examples() {
            return List.copyOf(examples);
        }
    }

    private final List<Rule> rules;
    private final ImageDecoder decoder = new ImageDecoder();
    private final Map<String, Count> counts = new LinkedHashMap<>();

    public SampleFilter(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        rules.forEach(r -> counts.put(r.name(), new Count(r.name())));
    }

    /**
     * What the rules made of one sample.
     *
     * @param sample the sample after every rule, or {@code null} when {@code droppedBy} dropped it
     * @param droppedBy the rule that dropped it, or {@code null}
     * @param reason why it was dropped, or {@code null}
     * @param changedBy the rules that rewrote it, in order
     */
    public record Outcome(Sample sample, String droppedBy, String reason, List<String> changedBy)
            implements java.io.Serializable {}

    /** The sample after every rule, or {@code null} when one dropped it; counted. */
    public Sample apply(Sample sample) {
        Outcome o = run(sample);
        for (String rule : o.changedBy()) {
            count(rule, sample.id() + ": rewritten").changed++;
        }
        if (o.droppedBy() != null) {
            count(o.droppedBy(), sample.id() + ": " + o.reason()).removed++;
        }
        return o.sample();
    }

    /**
     * The rules over one sample, uncounted: what {@link #apply} counts, and what a Spark stage
     * tallies over a partition.
     */
    public Outcome run(Sample sample) {
        SampleImages images = new SampleImages(sample, decoder);
        Sample s = sample;
        List<String> changed = new ArrayList<>(0);
        for (Rule rule : rules) {
            Rule.Verdict v = rule.apply(s, images);
            if (v.dropped()) {
                return new Outcome(null, rule.name(), v.reason(), changed);
            }
            if (v.sample() != s) {
                changed.add(rule.name());
                s = v.sample();
            }
        }
        return new Outcome(s, null, null, changed);
    }

    private Count count(String rule, String example) {
        Count c = counts.get(rule);
        if (c.examples.size() < EXAMPLES) {
            c.examples.add(example);
        }
        return c;
    }

    public List<Count> counts() {
        return List.copyOf(counts.values());
    }

    @Override
    public void close() {
        rules.forEach(Rule::close);
    }
}
