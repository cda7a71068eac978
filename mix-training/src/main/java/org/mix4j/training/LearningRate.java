package org.mix4j.training;

/**
 * The learning rate of each optimizer step, as Hugging Face's schedules compute it: a linear
 * warmup from 0, then constant, linear decay to 0, or a cosine half-wave to 0 at the last step.
 */
public record LearningRate(double peak, String schedule, int warmupSteps, int totalSteps) {

    /** The rate of optimizer step {@code step} (0 = the first). */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        if (schedule.equals("constant")) {
            return peak;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (schedule) {
            case "linear" -> peak * Math.max(0, 1 - progress);
            case "cosine" -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
            default -> throw new IllegalArgumentException("unknown schedule '" + schedule + "'");
        };
    }
}
