package org.mix4j.training;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * The {@code training:} section of a pipeline YAML: what trains, on which data, with which
 * optimizer and schedule, and where it is written. Relative paths resolve against the YAML's folder.
 *
 * @param objective {@code causal_lm} (understanding pipelines: loss on the assistant's tokens) or
 *     {@code contrastive} (retrieval pipelines: symmetric InfoNCE on image-caption pairs) or
 *     {@code diffusion} (generation pipelines: the denoiser's noise / velocity MSE on image-caption pairs) or
 *     {@code autoencoder} (generation pipelines: the VAE's reconstruction of the images) or
 *     {@code patch_labels} (retrieval pipelines: a class for each patch feature of the vision tower)
 * @param data LLaVA-format JSON or JSONL: {@code {"image": ..., "conversations": [{"from": "human",
 *     "value": "<image>\n..."}, {"from": "gpt", "value": ...}]}}; for {@code contrastive} and
 *     {@code diffusion} image-caption pairs {@code {"image": "a.png", "caption": "..."}} ({@link CaptionData});
 *     for {@code patch_labels} {@code {"image": "a.png", "labels": [0, 3, ...]}} ({@link PatchLabelObjective})
 * @param trainable slots ({@code connector}) or globs on {@code slot.checkpoint_name}
 *     ({@code llm.model.layers.*.mlp.*}); everything else is frozen
 * @param decayNormsAndBiases weight decay on 1-D tensors too ({@code torch.optim.AdamW}'s default)
 * @param schedule {@code constant}, {@code linear} or {@code cosine} after {@code warmup_steps}
 *     (Hugging Face's schedules: the first step's rate is 0 when there is a warmup)
 * @param maxSteps optimizer steps; otherwise {@code epochs} passes over the data
 * @param evalEvery steps between held-out losses ({@code eval_data}); 0 = at the end only
 * @param saveEvery steps between resumable checkpoints; 0 = at the end only
 * @param maxLength cut samples to this many tokens (0 = the model's context)
 * @param resolution {@code diffusion}: the square size images are trained at (default: the
 *     denoiser's native size)
 * @param mergeLora {@code diffusion} with a LoRA on the denoiser: also write the model with the LoRA
 *     merged (a whole diffusers folder); {@code false} writes the LoRA file and a pipeline applying it
 *     to the base model only
 * @param packing put a micro-batch's samples side by side in one row (MixToken) instead of padding
 *     them: attention stays inside each sample and positions restart, so the loss is the padded one
 * @param hardNegatives {@code contrastive}: captions with one attribute word swapped as extra negatives
 * @param distillation {@code contrastive}: an EMA teacher's soft targets mixed into the loss (ALBEF)
 * @param imageToImage {@code contrastive}: a supervised contrastive term among the micro-batch's
 *     pictures, those with the same data {@code "label"} each other's matches (SupCon)
 * @param captionDropout {@code diffusion}: the chance that an image trains with the empty caption, so
 *     that classifier-free guidance has an unconditional prediction to extrapolate from (0: never)
 * @param klWeight {@code autoencoder}: the weight of the posterior's KL divergence from N(0, 1) (mean
 *     over latent values) beside the reconstruction's mean squared error (mean over pixels)
 * @param snrGamma {@code diffusion}: Min-SNR loss weighting (Hang et al. 2023, diffusers'
 *     {@code --snr_gamma}): each image's MSE times {@code min(SNR(t), gamma) / SNR(t)} (epsilon) or
 *     {@code / (SNR(t) + 1)} (v-prediction), so the nearly clean timesteps stop dominating the
 *     gradient; absent: every timestep weighs 1
 * @param classes {@code patch_labels}: the names of the classes its labels index ({@link PatchLabelObjective})
 * @param ema an exponential moving average of the trainable tensors, written instead of the last
 *     weights and used for the held-out metrics (diffusers' {@code --use_ema}; {@link EmaSettings})
 * @param alignment {@code diffusion}: representation alignment with a frozen image encoder
 *     ({@link AlignmentSettings}, {@link RepresentationAlignment})
 * @param timestepBias {@code diffusion}: which timesteps are drawn more often ({@link TimestepBias});
 *     absent: each alike
 */
public record TrainingSettings(
        @Default("causal_lm") String objective,
        String data,
        @OptionalKey String evalData,
        @Default("[]") List<String> trainable,
        @OptionalKey LoraSettings lora,
        @Default("0.0001") double lr,
        @Default("[0.9, 0.999]") List<Double> betas,
        @Default("0.00000001") double eps,
        @Default("0.0") double weightDecay,
        @Default("true") boolean decayNormsAndBiases,
        @Default("constant") String schedule,
        @Default("0") int warmupSteps,
        @Default("1.0") double maxGradNorm,
        @Default("1") int microBatchSize,
        @Default("1") int gradientAccumulation,
        @Default("1") int epochs,
        @OptionalKey Integer maxSteps,
        @Default("0") long seed,
        @Default("0") int evalEvery,
        @Default("0") int saveEvery,
        @Default("runs/train") String output,
        @Default("0") int maxLength,
        @Default("false") boolean packing,
        @OptionalKey HardNegativeSettings hardNegatives,
        @OptionalKey DistillationSettings distillation,
        @OptionalKey ImageToImageSettings imageToImage,
        @OptionalKey Integer resolution,
        @Default("true") boolean mergeLora,
        @Default("0.0") double captionDropout,
        @Default("0.000001") double klWeight,
        @OptionalKey Double snrGamma,
        @Default("[]") List<String> classes,
        @OptionalKey EmaSettings ema,
        @OptionalKey AlignmentSettings alignment,
        @OptionalKey TimestepBias timestepBias) {

    /** The objectives {@code objective:} accepts. */
    public static final List<String> OBJECTIVES = List.of("causal_lm", "contrastive", "diffusion", "autoencoder",
            "patch_labels");

    /** The schedules {@code schedule:} accepts. */
    public static final List<String> SCHEDULES = List.of("constant", "linear", "cosine");

    public TrainingSettings {
        if (!OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("objective must be one of " + OBJECTIVES + ", got '" + objective + "'");
        }
        if (data == null || data.isBlank()) {
            throw new IllegalArgumentException("data must name a LLaVA-format JSON or JSONL file");
        }
        if (resolution != null && resolution < 1) {
            throw new IllegalArgumentException("resolution must be >= 1 pixels, got " + resolution);
        }
        if (!mergeLora && (lora == null || !trainable.isEmpty() || !objective.equals("diffusion"))) {
            throw new IllegalArgumentException("merge_lora: false writes only the LoRA: it needs objective diffusion, "
                    + "a lora: section and no trainable: (the base weights stay as they are)");
        }
        if (trainable.isEmpty() && lora == null && !objective.equals("patch_labels")) {
            throw new IllegalArgumentException("nothing would train: set trainable (e.g. [connector]) or lora");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be a finite number > 0, got " + lr);
        }
        if (betas.size() != 2) {
            throw new IllegalArgumentException("betas must be two numbers, got " + betas);
        }
        if (!SCHEDULES.contains(schedule)) {
            throw new IllegalArgumentException("schedule must be one of " + SCHEDULES + ", got '" + schedule + "'");
        }
        if (warmupSteps < 0 || microBatchSize < 1 || gradientAccumulation < 1 || epochs < 1 || evalEvery < 0
                || saveEvery < 0 || maxLength < 0 || (maxSteps != null && maxSteps < 1)) {
            throw new IllegalArgumentException("warmup_steps, eval_every, save_every, max_length must be >= 0 and "
                    + "micro_batch_size, gradient_accumulation, epochs, max_steps >= 1");
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("max_grad_norm must be finite and >= 0 (0 = no clipping), got " + maxGradNorm);
        }
        if (!(captionDropout >= 0 && captionDropout < 1)) {
            throw new IllegalArgumentException("caption_dropout must be in [0, 1), got " + captionDropout);
        }
        if (captionDropout > 0 && !objective.equals("diffusion")) {
            throw new IllegalArgumentException("caption_dropout belongs to objective: diffusion, not '" + objective + "'");
        }
        if (alignment != null && !objective.equals("diffusion")) {
            throw new IllegalArgumentException("alignment belongs to objective: diffusion, not '" + objective + "'");
        }
        if (!(klWeight >= 0) || Double.isInfinite(klWeight)) {
            throw new IllegalArgumentException("kl_weight must be finite and >= 0, got " + klWeight);
        }
        if (snrGamma != null && (!(snrGamma > 0) || Double.isInfinite(snrGamma))) {
            throw new IllegalArgumentException("snr_gamma must be a finite number > 0 (5 is the paper's), got " + snrGamma);
        }
        if (timestepBias != null && !objective.equals("diffusion")) {
            throw new IllegalArgumentException("timestep_bias belongs to objective: diffusion, not '" + objective + "'");
        }
        if (snrGamma != null && !objective.equals("diffusion")) {
            throw new IllegalArgumentException("snr_gamma belongs to objective: diffusion, not '" + objective + "'");
        }
        if ((hardNegatives != null || distillation != null || imageToImage != null) && !objective.equals("contrastive")) {
            throw new IllegalArgumentException("hard_negatives, distillation and image_to_image belong to objective: "
                    + "contrastive, not '" + objective + "'");
        }
        if (objective.equals("patch_labels") && classes.size() < 2) {
            throw new IllegalArgumentException("objective patch_labels needs classes: the names of the classes its "
                    + "labels index, at least two (e.g. [background, circle, square])");
        }
        if (!classes.isEmpty() && !objective.equals("patch_labels")) {
            throw new IllegalArgumentException("classes belongs to objective: patch_labels, not '" + objective + "'");
        }
        trainable = List.copyOf(trainable);
        classes = List.copyOf(classes);
        betas = List.copyOf(betas);
    }

    public AdamW.Settings optimizer() {
        return new AdamW.Settings(betas.get(0), betas.get(1), eps, weightDecay);
    }

    /** LoRA adapters on one slot's projections ({@code lora:}). */
    public record LoraSettings(
            @Default("llm") String slot,
            @Default("8") int r,
            @Default("16") double alpha,
            @Default("0.0") double dropout,
            List<String> targetModules) {

        public LoraSettings {
            if (dropout != 0) {
                throw new IllegalArgumentException("lora dropout is not supported yet: set dropout: 0");
            }
        }

        public Lora lora() {
            return new Lora(r, alpha, dropout, targetModules);
        }
    }

    /**
     * {@code hard_negatives:} of the contrastive objective: each caption with one attribute word
     * replaced by another of its group, as extra candidates an image must not match.
     *
     * @param attributes groups of interchangeable words ({@code [[red, green, blue], [big, small]]})
     * @param perSample altered captions made from each caption (at most)
     */
    public record HardNegativeSettings(List<List<String>> attributes, @Default("1") int perSample) {

        public HardNegativeSettings {
            if (attributes == null || attributes.isEmpty()) {
                throw new IllegalArgumentException("attributes must list groups of words, e.g. [[red, green, blue], [big, small]]");
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (List<String> group : attributes) {
                if (group.size() < 2) {
                    throw new IllegalArgumentException("attributes: the group " + group + " needs at least two words");
                }
                for (String word : group) {
                    if (word == null || !word.matches("[\\p{L}\\p{N}'-]+")) {
                        throw new IllegalArgumentException("attributes: '" + word + "' is not one word");
                    }
                    if (!seen.add(word.toLowerCase(java.util.Locale.ROOT))) {
                        throw new IllegalArgumentException("attributes: '" + word + "' is in more than one place");
                    }
                }
            }
            if (perSample < 1) {
                throw new IllegalArgumentException("per_sample must be >= 1, got " + perSample);
            }
            attributes = attributes.stream().map(List::copyOf).toList();
        }
    }

    /**
     * {@code distillation:} of the contrastive objective (ALBEF's momentum distillation).
     *
     * @param momentum the teacher's EMA factor: {@code teacher = m teacher + (1 - m) student} after each step
     * @param alpha weight of the teacher's soft targets: {@code (1 - alpha) CE(hard) + alpha CE(soft)}
     */
    public record DistillationSettings(@Default("0.995") double momentum, @Default("0.4") double alpha) {

        public DistillationSettings {
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            if (!(alpha >= 0 && alpha <= 1)) {
                throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
            }
        }
    }

    /**
     * {@code image_to_image:} of the contrastive objective: the supervised contrastive loss of Khosla
     * et al. 2020 ({@code L_out}) among the micro-batch's pictures, added to InfoNCE times {@code weight}.
     * A picture's matches are the other pictures whose pair has the same {@code "label"}; its
     * candidates, every other picture; the similarity is the cosine over {@code temperature}.
     *
     * @param weight the term's weight beside the image-text loss
     * @param temperature the softmax temperature of the cosines (SupCon's 0.1)
     */
    public record ImageToImageSettings(@Default("1.0") double weight, @Default("0.1") double temperature) {

        public ImageToImageSettings {
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("image_to_image weight must be a finite number > 0, got " + weight);
            }
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("image_to_image temperature must be a finite number > 0, got " + temperature);
            }
        }
    }

    /**
     * {@code ema:}: the average diffusers' {@code EMAModel} keeps (train_text_to_image.py
     * {@code --use_ema}). After optimizer step k the average moves toward the weights by {@code 1 -
     * d(k)}, where for {@code j = k - update_after_step - 1} {@code d} is 0 while {@code j <= 0} (the
     * first update copies the weights), otherwise {@code min(decay, (1 + j) / (10 + j))}, or with
     * {@code warmup: true} {@code min(decay, 1 - (1 + j / inv_gamma)^-power)}.
     *
     * @param decay the most weight the average keeps per step (0.9999: about the last 10,000 steps)
     * @param updateAfterStep steps during which the average only copies the weights
     * @param warmup the power-law warmup instead of {@code (1 + j) / (10 + j)}
     * @param invGamma the warmup's inverse multiplicative factor
     * @param power the warmup's exponent (2/3 for long runs, 3/4 for short ones)
     */
    public record EmaSettings(@Default("0.9999") double decay, @Default("0") int updateAfterStep,
            @Default("false") boolean warmup, @Default("1.0") double invGamma,
            @Default("0.6666666666666666") double power) {

        public EmaSettings {
            if (!(decay >= 0 && decay < 1)) {
                throw new IllegalArgumentException("ema decay must be in [0, 1), got " + decay);
            }
            if (updateAfterStep < 0) {
                throw new IllegalArgumentException("ema update_after_step must be >= 0, got " + updateAfterStep);
            }
            if (!(invGamma > 0) || Double.isInfinite(invGamma) || !(power > 0) || Double.isInfinite(power)) {
                throw new IllegalArgumentException("ema inv_gamma and power must be finite numbers > 0, got "
                        + invGamma + " and " + power);
            }
        }

        /** The decay of the update after optimizer step {@code step} (1 for the first step). */
        public double decayAt(int step) {
            int j = step - updateAfterStep - 1;
            if (j <= 0) {
                return 0;
            }
            double d = warmup ? 1 - Math.pow(1 + j / invGamma, -power) : (1.0 + j) / (10.0 + j);
            return Math.min(d, decay);
        }
    }

    /**
     * {@code alignment:} REPA for {@code objective: diffusion} ({@link RepresentationAlignment}).
     *
     * @param encoder a {@code task: retrieval} pipeline YAML (relative to the recipe) whose vision
     *     tower's patch features the denoiser's hidden state is pulled toward
     * @param weight the alignment term's weight beside each image's diffusion loss (REPA's lambda)
     * @param projectorDim the width of the projector's hidden layers
     */
    public record AlignmentSettings(String encoder, @Default("0.5") double weight,
            @Default("256") int projectorDim) {

        public AlignmentSettings {
            if (encoder == null || encoder.isBlank()) {
                throw new IllegalArgumentException("alignment encoder must name a task: retrieval pipeline YAML");
            }
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("alignment weight must be a finite number > 0, got " + weight);
            }
            if (projectorDim < 1) {
                throw new IllegalArgumentException("alignment projector_dim must be >= 1, got " + projectorDim);
            }
        }
    }
}
