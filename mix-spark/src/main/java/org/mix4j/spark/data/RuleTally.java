package org.mix4j.spark.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mix4j.data.filter.SampleFilter;

/**
 * What each rule removed and rewrote over a Spark job, with its first few examples by input
 * position: the counts {@link SampleFilter} keeps in a local run, gathered from partitions in any
 * order ({@link #merge}) and equal to the local ones, since a rule acts on a sample at most once.
 */
final class RuleTally implements Serializable {

    private static final class Rule implements Serializable {
        long removed;
        long changed;
        final TreeMap<Long, String> examples = new TreeMap<>();

        void example(long position, String text) {
            examples.put(position, text);
            if (examples.size() > SampleFilter.EXAMPLES) {
                examples.pollLastEntry();
            }
        }
    }

    private final Map<String, Rule> rules = new LinkedHashMap<>();

    /** An empty tally of {@code names}, in the rules' running order. */
    RuleTally(List<String> names) {
        names.forEach(n -> rules.put(n, new Rule()));
    }

    /** Counts one sample's outcome at {@code position} ({@code id} names it in examples). */
    RuleTally add(long position, String id, SampleFilter.Outcome o) {
        for (String rule : o.changedBy()) {
            Rule r = rule(rule);
            r.changed++;
            r.example(position, id + ": rewritten");
        }
        if (o.droppedBy() != null) {
            removed(o.droppedBy(), position, id, o.reason());
        }
        return this;
    }

    /** Counts a sample {@code rule} dropped. */
    RuleTally removed(String rule, long position, String id, String reason) {
        Rule r = rule(rule);
        r.removed++;
        r.example(position, id + ": " + reason);
        return this;
    }

    /** Both tallies in one (this one, changed). */
    RuleTally merge(RuleTally other) {
        other.rules.forEach((name, o) -> {
            Rule r = rule(name);
            r.removed += o.removed;
            r.changed += o.changed;
            o.examples.forEach(r::example);
        });
        return this;
    }

    private Rule rule(String name) {
        return rules.computeIfAbsent(name, n -> new Rule());
    }

    /** The counts in {@link org.mix4j.data.ops.RunReport#rules}'s shape. */
    List<SampleFilter.Count> counts() {
        List<SampleFilter.Count> out = new ArrayList<>();
        rules.forEach((name, r) -> out.add(SampleFilter.Count.of(name, r.removed, r.changed,
                new ArrayList<>(r.examples.values()))));
        return out;
    }
}
