package org.mix4j.pipelines.task;

import java.util.List;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * Top-level settings of {@code task: generation}.
 *
 * @param size {@code [width, height]} in pixels; default: the denoiser's native size (img2img: the
 *     init image's; ControlNet: the control image's, rounded down to a multiple of the VAE factor)
 * @param tiling MultiDiffusion tiled denoising for outputs larger than the native size
 * @param controlnetConditioningScale multiplies the ControlNet's residuals (with a {@code controlnet:} section)
 */
public record DiffusionSettings(
        @Default("7.5") double guidanceScale,
        @Default("50") int numInferenceSteps,
        @OptionalKey List<Integer> size,
        @Default("0") long seed,
        @Default("1") int numImagesPerPrompt,
        @Default("\"\"") String negativePrompt,
        @Default("0.8") double strength,
        @Default("0.0") double eta,
        @OptionalKey DenoiseTiling tiling,
        @Default("1.0") double controlnetConditioningScale) {

    /** Every value at its default: the one place diffusers' defaults (50 steps, 7.5, 0.8, ...) are written. */
    public static final DiffusionSettings DEFAULTS = ConfigBinder.bind(DiffusionSettings.class, null, "");

    public DiffusionSettings {
        // NaN passes every range check: NaN guidance turned guidance off, Infinity wrote a black image
        SettingChecks.finite("guidance_scale", guidanceScale);
        SettingChecks.finite("strength", strength);
        SettingChecks.finite("eta", eta);
        SettingChecks.finite("controlnet_conditioning_scale", controlnetConditioningScale);
        if (size != null && (size.size() != 2 || size.get(0) < 0 || size.get(1) < 0)) {
            throw new IllegalArgumentException("size must be [width, height] (0 for the native size), got " + size);
        }
        if (guidanceScale < 0) {
            throw new IllegalArgumentException("guidance_scale must be >= 0 (at 1 or below guidance is off), got "
                    + guidanceScale);
        }
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("num_inference_steps must be >= 1, got " + numInferenceSteps);
        }
        if (numImagesPerPrompt < 1) {
            throw new IllegalArgumentException("num_images_per_prompt must be >= 1, got " + numImagesPerPrompt);
        }
        if (strength <= 0 || strength > 1) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
    }

    /**
     * @param type {@code multidiffusion} (or {@code none})
     * @param window window size in latent units
     * @param stride stride in latent units
     * @param circular wrap views past the right edge to column 0 (360-degree panoramas)
     * @param viewBatchSize how many views share one denoiser call
     */
    public record DenoiseTiling(@Default("multidiffusion") String type, @Default("64") int window, @Default("8") int stride,
            @Default("false") boolean circular, @Default("1") int viewBatchSize) {
        public DenoiseTiling {
            if (!List.of("multidiffusion", "none").contains(type)) {
                throw new IllegalArgumentException("type must be multidiffusion or none, got '" + type + "'");
            }
            if (window < 1 || stride < 1) {
                throw new IllegalArgumentException("window and stride must be >= 1");
            }
            if (viewBatchSize < 1) {
                throw new IllegalArgumentException("view_batch_size must be >= 1, got " + viewBatchSize);
            }
        }
    }
}
