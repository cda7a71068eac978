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

    /** The sample after every rule, or {@code null} when one dropped it. */
    public Sample apply(Sample sample) {
        SampleImages images = new SampleImages(sample, decoder);
        Sample s = sample;
        for (Rule rule : rules) {
            Rule.Verdict v = rule.apply(s, images);
            Count c = counts.get(rule.name());
            if (v.dropped()) {
                c.removed++;
                if (c.examples.size() < EXAMPLES) {
                    c.examples.add(s.id() + ": " + v.reason());
                }
                return null;
            }
            if (v.sample() != s) {
                c.changed++;
                if (c.examples.size() < EXAMPLES) {
                    c.examples.add(s.id() + ": rewritten");
                }
                s = v.sample();
            }
        }
        return s;
    }

    public List<Count> counts() {
        return List.copyOf(counts.values());
    }

    @Override
    public void close() {
        rules.forEach(Rule::close);
    }
}
