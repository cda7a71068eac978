package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.mix4j.api.NoiseSource;

/**
 * Where the pipeline's random draws come from. A real run uses {@link #seeded}: one
 * {@link GaussianGenerator} per image, so image {@code i} depends only on its own seed, whatever
 * the batch. Tests and golden runners inject stored tensors instead.
 */
@FunctionalInterface
public interface PipelineNoise {

    /** The pipeline's draws, in the order a run makes them for each image. */
    enum Draw {
        /** txt2img: the initial latents, before {@code init_noise_sigma}. */
        INITIAL_LATENTS,
        /** img2img: the sample of the VAE posterior ({@code mean + std * noise}). */
        VAE_SAMPLE,
        /** img2img: the noise added to the encoded image at the first timestep. */
        IMG2IMG_NOISE,
        /** Noise a stochastic scheduler (DDIM with eta, LCM) injects during a step. */
        STEP
    }

    /**
     * @param shape {@code [rows, ...]}; row {@code r} belongs to image {@code r % images}
     * @return float32 standard normal noise of {@code shape}, attached to {@code manager}
     */
    NDArray randn(Draw draw, NDManager manager, Shape shape);

    /** The scheduler's view of this source ({@link Draw#STEP}). */
    default NoiseSource forSteps() {
        return (manager, shape) -> randn(Draw.STEP, manager, shape);
    }

    /** One generator per image, seeded with {@code seeds[i]}. */
    static PipelineNoise seeded(long... seeds) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("at least one seed is needed");
        }
        GaussianGenerator[] generators = new GaussianGenerator[seeds.length];
        for (int i = 0; i < seeds.length; i++) {
            generators[i] = new GaussianGenerator(seeds[i]);
        }
        return (draw, manager, shape) -> {
            long rows = shape.get(0);
            int perRow = Math.toIntExact(shape.size() / rows);
            float[] values = new float[Math.toIntExact(shape.size())];
            for (int r = 0; r < rows; r++) {
                generators[r % generators.length].fill(values, r * perRow, (r + 1) * perRow);
            }
            return manager.create(values, shape);
        };
    }
}
