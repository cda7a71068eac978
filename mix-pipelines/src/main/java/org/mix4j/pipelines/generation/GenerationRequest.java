package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.mix4j.api.ControlNet;
import org.mix4j.api.RgbImage;
import org.mix4j.nn.LoraUpdate;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;
import org.mix4j.pipelines.task.DiffusionSettings;

/**
 * What one call of {@link StableDiffusionPipeline#generate} makes. The prompt is given at one of
 * three levels: text (needs the tokenizer and text encoder), token ids {@code [B, T]} (needs the
 * text encoder), or embeddings {@code [B, T, D]}. Built with {@link #builder()}; unset values take
 * {@link DiffusionSettings#DEFAULTS}, and the values are checked by {@link DiffusionSettings}.
 */
public final class GenerationRequest {

    final List<String> prompts;
    final List<String> negativePrompts;
    final NDArray promptIds;
    final NDArray negativePromptIds;
    final NDArray promptEmbeds;
    final NDArray negativePromptEmbeds;
    final int width;
    final int height;
    final int steps;
    final double guidanceScale;
    final int imagesPerPrompt;
    final long seed;
    final long[] seeds;
    final RgbImage initImage;
    final double strength;
    final DenoiseTiling tiling;
    final RgbImage controlImage;
    final double controlScale;
    final ControlNet controlNet;
    final List<Lora> loras;

    /** A LoRA applied to the denoiser for this call only ({@link LoraUpdate}), at {@code scale}. */
    public record Lora(LoraUpdate update, double scale) {
        public Lora {
            if (update == null || !Double.isFinite(scale)) {
                throw new IllegalArgumentException("a per-call LoRA needs its update and a finite scale, got " + scale);
            }
        }
    }

    private GenerationRequest(Builder b) {
        int given = (b.prompts != null ? 1 : 0) + (b.promptIds != null ? 1 : 0) + (b.promptEmbeds != null ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("give the prompt exactly once: as text, token ids or embeddings");
        }
        // the settings record's checks, the only ones (the builder's values are the same settings)
        new DiffusionSettings(b.guidanceScale, b.steps, List.of(b.width, b.height), b.seed, b.imagesPerPrompt, "",
                b.strength, 0.0, b.tiling, b.controlScale);
        this.prompts = b.prompts;
        this.negativePrompts = b.negativePrompts;
        this.promptIds = b.promptIds;
        this.negativePromptIds = b.negativePromptIds;
        this.promptEmbeds = b.promptEmbeds;
        this.negativePromptEmbeds = b.negativePromptEmbeds;
        this.width = b.width;
        this.height = b.height;
        this.steps = b.steps;
        this.guidanceScale = b.guidanceScale;
        this.imagesPerPrompt = b.imagesPerPrompt;
        this.seed = b.seed;
        this.seeds = b.seeds;
        this.initImage = b.initImage;
        this.strength = b.strength;
        this.tiling = b.tiling != null && b.tiling.type().equals("none") ? null : b.tiling;
        this.controlImage = b.controlImage;
        this.controlScale = b.controlScale;
        this.controlNet = b.controlNet;
        this.loras = List.copyOf(b.loras);
    }

    /** A builder at {@link DiffusionSettings#DEFAULTS}. */
    public static Builder builder() {
        return builder(DiffusionSettings.DEFAULTS);
    }

    /** A builder holding a pipeline YAML's settings (size, steps, guidance, seed, tiling, ...). */
    public static Builder builder(DiffusionSettings s) {
        Builder b = new Builder().steps(s.numInferenceSteps()).guidanceScale(s.guidanceScale()).seed(s.seed())
                .imagesPerPrompt(s.numImagesPerPrompt()).strength(s.strength()).tiling(s.tiling())
                .controlScale(s.controlnetConditioningScale());
        if (s.size() != null) {
            b.size(s.size().get(0), s.size().get(1));
        }
        if (!s.negativePrompt().isEmpty()) {
            b.negativePrompt(s.negativePrompt());
        }
        return b;
    }

    /** Whether the unconditional branch runs (diffusers: {@code guidance_scale > 1}). */
    public boolean classifierFreeGuidance() {
        return guidanceScale > 1.0;
    }

    /** Seed of image {@code i} of the batch: the explicit list, else {@code seed + i}. */
    public long seed(int i) {
        return seeds != null ? seeds[i] : seed + i;
    }

    public boolean img2img() {
        return initImage != null;
    }

    public int steps() {
        return steps;
    }

    /** Options of one generation call. */
    public static final class Builder {
        private List<String> prompts;
        private List<String> negativePrompts;
        private NDArray promptIds;
        private NDArray negativePromptIds;
        private NDArray promptEmbeds;
        private NDArray negativePromptEmbeds;
        private int width;
        private int height;
        private int steps;
        private double guidanceScale;
        private int imagesPerPrompt;
        private long seed;
        private long[] seeds;
        private RgbImage initImage;
        private double strength;
        private DenoiseTiling tiling;
        private RgbImage controlImage;
        private double controlScale;
        private ControlNet controlNet;
        private final List<Lora> loras = new java.util.ArrayList<>();

        public Builder prompt(String prompt) {
            return prompts(List.of(prompt));
        }

        public Builder prompts(List<String> prompts) {
            this.prompts = List.copyOf(prompts);
            return this;
        }

        /** One negative prompt for every prompt, or {@code null} for none ("" as diffusers does). */
        public Builder negativePrompt(String negative) {
            this.negativePrompts = negative == null ? null : List.of(negative);
            return this;
        }

        public Builder negativePrompts(List<String> negatives) {
            this.negativePrompts = List.copyOf(negatives);
            return this;
        }

        /** int64 {@code [B, T]}, padded as the text encoder expects. */
        public Builder promptIds(NDArray ids, NDArray negativeIds) {
            this.promptIds = ids;
            this.negativePromptIds = negativeIds;
            return this;
        }

        /** {@code [B, T, D]} each; the negative may be {@code null} without guidance. */
        public Builder promptEmbeds(NDArray embeds, NDArray negativeEmbeds) {
            this.promptEmbeds = embeds;
            this.negativePromptEmbeds = negativeEmbeds;
            return this;
        }

        /**
         * Output size in pixels; 0 means the denoiser's native size (img2img: the init image's; with a
         * ControlNet: the control image's, rounded down to a multiple of the VAE factor).
         */
        public Builder size(int width, int height) {
            this.width = width;
            this.height = height;
            return this;
        }

        public Builder steps(int steps) {
            this.steps = steps;
            return this;
        }

        public Builder guidanceScale(double guidanceScale) {
            this.guidanceScale = guidanceScale;
            return this;
        }

        public Builder imagesPerPrompt(int n) {
            this.imagesPerPrompt = n;
            return this;
        }

        /** Image {@code i} of the batch uses {@code seed + i}. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** One seed per image of the batch (prompts x images per prompt). */
        public Builder seeds(long... seeds) {
            this.seeds = seeds.clone();
            return this;
        }

        /** img2img: start from this image, noised to {@code strength}. */
        public Builder initImage(RgbImage image) {
            this.initImage = image;
            return this;
        }

        public Builder strength(double strength) {
            this.strength = strength;
            return this;
        }

        /** MultiDiffusion tiled denoising, or {@code null} for one pass over the whole latent. */
        public Builder tiling(DenoiseTiling tiling) {
            this.tiling = tiling;
            return this;
        }

        /** ControlNet: the control image (edges, depth, pose, ...) at the output size or resized to it. */
        public Builder controlImage(RgbImage image) {
            this.controlImage = image;
            return this;
        }

        /** ControlNet: multiplies its residuals ({@code controlnet_conditioning_scale}). */
        public Builder controlScale(double scale) {
            this.controlScale = scale;
            return this;
        }

        /**
         * ControlNet for this call only, in place of the pipeline's own (a server's per-request
         * ControlNet); it must fit the denoiser, and the call needs a control image.
         */
        public Builder controlNet(ControlNet net) {
            this.controlNet = net;
            return this;
        }

        /**
         * Adds a LoRA for this call only: the denoiser computes its update unmerged while the call
         * runs, on the calling thread ({@link org.mix4j.nn.CallAdapters}); its weights are not changed.
         */
        public Builder lora(LoraUpdate update, double scale) {
            this.loras.add(new Lora(update, scale));
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(this);
        }
    }
}
