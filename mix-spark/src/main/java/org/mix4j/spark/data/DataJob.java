package org.mix4j.spark.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.mix4j.data.filter.FilterSettings;
import org.mix4j.data.records.Format;

/**
 * One Spark run of mix-data's tools: the steps {@code convert -> filter -> sample -> split}, each
 * optional, in that order, over one input file, into a folder of JSONL part files (a split: a
 * folder a part, {@code OUT/train/part-*}).
 *
 * @param from the input's format, or {@code null} to detect it
 * @param to the convert step's format, or {@code null} for no convert step
 * @param filter the filter step's rules, or {@code null} for no filter step
 * @param count the sample step's size, or {@code null}
 * @param fraction the sample step's fraction, or {@code null} (at most one of count and fraction)
 * @param partitions how many partitions the rules run over
 * @param skipBad report records that are not JSON or not the format and go on, as {@code --skip-bad}
 * @param split the split step's parts, or {@code null}
 */
public record DataJob(Path input, Path output, Format from, Format to, String captionPrompt, FilterSettings filter,
        Long count, Double fraction, long seed, int partitions, boolean skipBad, Split split) {

    /** {@code mix data split}'s parts: names and ratios, as {@code --names} and {@code --ratios}. */
    public record Split(List<String> names, List<Double> ratios) implements java.io.Serializable {
        public Split {
            names = List.copyOf(names);
            ratios = List.copyOf(ratios);
            if (ratios.size() != names.size()) {
                throw new IllegalArgumentException("--ratios has " + ratios.size() + " values but --names " + names.size());
            }
            if (ratios.stream().anyMatch(r -> r < 0) || sum(ratios) <= 0) {
                throw new IllegalArgumentException("--ratios must be non-negative with a positive sum, got " + ratios);
            }
            if (names.stream().distinct().count() != names.size() || names.stream().anyMatch(n -> !n.matches("[\\w.-]+"))) {
                throw new IllegalArgumentException("--names must be distinct folder names (letters, digits, _ . -), got "
                        + names);
            }
        }

        double sum() {
            return sum(ratios);
        }

        private static double sum(List<Double> ratios) {
            return ratios.stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    public DataJob {
        Objects.requireNonNull(input, "--input");
        Objects.requireNonNull(output, "--output");
        captionPrompt = captionPrompt == null ? Format.DEFAULT_CAPTION_PROMPT : captionPrompt;
        if (count != null && fraction != null) {
            throw new IllegalArgumentException("give --count or --fraction, not both");
        }
        if (count != null && count < 0) {
            throw new IllegalArgumentException("--count must be at least 0, got " + count);
        }
        if (fraction != null && !(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--fraction must be between 0 and 1, got " + fraction);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(output + " is the input of this run; write the output elsewhere");
        }
    }

    boolean samples() {
        return count != null || fraction != null;
    }
}
