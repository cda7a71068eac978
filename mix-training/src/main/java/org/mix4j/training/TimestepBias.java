package org.mix4j.training;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.mix4j.config.Default;

/**
 * {@code timestep_bias:} for {@code objective: diffusion}: which training timesteps are drawn more
 * often, as diffusers' SDXL training scripts weigh them ({@code --timestep_bias_strategy},
 * {@code _multiplier}, {@code _begin}, {@code _end}, {@code _portion}). Every timestep starts at
 * weight 1; those the strategy names are multiplied by {@code multiplier}, and each image's timestep
 * is drawn with probability proportional to its weight.
 *
 * <ul>
 *   <li>{@code later}: the last {@code portion} of the timesteps (the noisiest);
 *   <li>{@code earlier}: the first {@code portion} (the cleanest);
 *   <li>{@code range}: timesteps {@code begin} (included) to {@code end} (excluded);
 *   <li>{@code none}: every timestep alike, the same draws as without the section.
 * </ul>
 *
 * @param strategy one of {@link #STRATEGIES}
 * @param multiplier the named timesteps' weight (above 1 draws them more often, below 1 less)
 * @param begin {@code range}: the first timestep named
 * @param end {@code range}: the timestep after the last one named (at most the schedule's count)
 * @param portion {@code later} and {@code earlier}: the share of the timesteps named, in (0, 1]
 */
public record TimestepBias(@Default("none") String strategy, @Default("1.0") double multiplier,
        @Default("0") int begin, @Default("1000") int end, @Default("0.25") double portion) {

    /** The strategies {@code strategy:} accepts. */
    public static final List<String> STRATEGIES = List.of("none", "later", "earlier", "range");

    public TimestepBias {
        if (!STRATEGIES.contains(strategy)) {
            throw new IllegalArgumentException("timestep_bias strategy must be one of " + STRATEGIES + ", got '"
                    + strategy + "'");
        }
        if (!(multiplier > 0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("timestep_bias multiplier must be a finite number > 0, got " + multiplier);
        }
        if (begin < 0 || end <= begin) {
            throw new IllegalArgumentException("timestep_bias begin and end must satisfy 0 <= begin < end, got "
                    + begin + " and " + end);
        }
        if (!(portion > 0 && portion <= 1)) {
            throw new IllegalArgumentException("timestep_bias portion must be in (0, 1], got " + portion);
        }
    }

    /** Whether the draws differ from uniform ones. */
    boolean uniform() {
        return strategy.equals("none") || multiplier == 1;
    }

    /**
     * The cumulative weights of timesteps {@code 0..timesteps-1}, the last one 1.
     *
     * @throws IllegalArgumentException when a {@code range} ends past the schedule's timesteps
     */
    double[] cumulative(int timesteps) {
        double[] weight = new double[timesteps];
        Arrays.fill(weight, 1);
        int named = (int) (portion * timesteps);
        int from;
        int to;
        switch (strategy) {
            case "later" -> {
                from = timesteps - named;
                to = timesteps;
            }
            case "earlier" -> {
                from = 0;
                to = named;
            }
            case "range" -> {
                if (end > timesteps) {
                    throw new IllegalArgumentException("timestep_bias end " + end + " is past the schedule's "
                            + timesteps + " timesteps");
                }
                from = begin;
                to = end;
            }
            default -> {
                from = 0;
                to = 0;
            }
        }
        for (int t = from; t < to; t++) {
            weight[t] *= multiplier;
        }
        double[] cumulative = new double[timesteps];
        double sum = 0;
        for (int t = 0; t < timesteps; t++) {
            sum += weight[t];
            cumulative[t] = sum;
        }
        for (int t = 0; t < timesteps; t++) {
            cumulative[t] /= sum;
        }
        cumulative[timesteps - 1] = 1;
        return cumulative;
    }

    /** A timestep drawn by its weight: the first whose cumulative weight exceeds a uniform draw. */
    static int draw(double[] cumulative, Random random) {
        // every weight is above 0, so the cumulative weights rise strictly: an exact hit's successor is the first above
        int i = Arrays.binarySearch(cumulative, random.nextDouble());
        return i >= 0 ? i + 1 : -i - 1;
    }
}
