package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.Denoiser;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.image.ImageOps;
import org.mix4j.image.Resample;
import org.mix4j.image.Resampler;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.Images;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.CaptionData.Pair;

/**
 * {@code objective: diffusion} on {@code task: generation} pipelines, as diffusers'
 * {@code train_text_to_image.py} / {@code train_text_to_image_lora.py}: each image resized (shorter
 * side, bilinear) and center-cropped to {@code resolution}, scaled to [-1, 1], encoded by the frozen
 * VAE into a sample of its posterior ({@code latent_dist.sample()}), shifted and scaled by the VAE's
 * factors; the caption through the tokenizer and the frozen text encoder; noise and a timestep
 * uniform in {@code [0, num_train_timesteps)} per image, {@code add_noise} by the training schedule
 * (the scheduler config's betas in a DDPM-family scheduler), and the MSE of the denoiser's
 * prediction against the noise ({@code prediction_type: epsilon}) or the velocity
 * ({@code v_prediction}); with {@code timestep_bias:} the timestep is drawn by its weight
 * ({@link TimestepBias}). The units are images: the step's loss is the mean of the per-image MSEs.
 * Each image's posterior is computed once and kept ({@link LatentCache}): later epochs neither decode
 * the image nor run the VAE (unless {@code alignment:} needs the clean image for its encoder,
 * {@link RepresentationAlignment}).
 *
 * <p>The random draws of a micro-batch come from its seed alone, per image in order: the timestep,
 * the posterior sample's noise, the added noise (Java's {@link Random}, Gaussian by
 * {@code nextGaussian}). A resumed run therefore repeats the uninterrupted one, and the held-out loss
 * uses the same draws at every evaluation.
 */
final class DiffusionObjective implements Objective<DiffusionObjective.Sample> {

    /** Slots whose tensors training sees (the denoiser and the text encoder may train, the VAE may not). */
    private static final List<String> SLOTS = List.of("text_encoder", "denoiser", "vae");

    /** A training image at the training resolution, with its caption. */
    record Sample(Pair pair, RgbImage image) {}

    private final PipelineConfig config;
    private final TrainingSettings settings;
    private final GenerationComponents parts;
    private final TrainedSlots slots;
    private final TrainingNoise noise;
    private final double[] snr; // per training timestep, for snr_gamma; null without
    private final double[] timestepWeights; // cumulative, for timestep_bias; null: uniform draws
    private final int resolution;
    private final List<Pair> data;
    private final List<Pair> evalData;
    private LatentCache latentCache;
    private final RepresentationAlignment alignment; // null without alignment:

    DiffusionObjective(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager manager) {
        if (!config.task().equals(Tasks.GENERATION.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "objective diffusion trains "
                    + "task: generation pipelines, not '" + config.task() + "'", List.of("generation"));
        }
        this.config = config;
        this.settings = settings;
        this.data = CaptionData.readExisting(base.resolve(settings.data()));
        this.evalData = settings.evalData() == null ? List.of() : CaptionData.readExisting(base.resolve(settings.evalData()));
        this.noise = TrainingNoise.of(config, loader, manager);
        this.snr = settings.snrGamma() == null ? null : DiffusionLoss.snr(noise.scheduler(), noise.timesteps(), manager);
        TimestepBias bias = settings.timestepBias();
        this.timestepWeights = bias == null || bias.uniform() ? null : bias.cumulative(noise.timesteps());
        GenerationComponents loaded = GenerationComponents.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
        RepresentationAlignment aligned = null;
        try {
            this.parts = loaded;
            if (parts.textEncoder() == null || parts.tokenizer() == null) {
                throw new IllegalArgumentException("objective diffusion needs the pipeline's 'text_encoder:' and "
                        + "'tokenizer:' sections to encode the captions");
            }
            this.resolution = resolution(settings, parts);
            this.latentCache = new LatentCache(parts.vae(), LatentCache.defaultBudget());
            if (settings.alignment() != null) {
                aligned = new RepresentationAlignment(settings.alignment(), base, resolution, loader, manager);
            }
            this.alignment = aligned;
            Map<String, NDArray> projector = aligned == null ? Map.of()
                    : aligned.projector(alignedChannels(manager), settings.seed(), manager);
            this.slots = TrainedSlots.of(config, SLOTS, this::component, projector, settings, manager);
            if (aligned != null) {
                slots.parameters().train(List.of(RepresentationAlignment.PREFIX + "*"));
            }
            if (slots.parameters().trainable().keySet().stream().anyMatch(n -> n.startsWith("vae."))) {
                slots.close();
                throw new IllegalArgumentException("objective diffusion does not train the VAE (its latents are what the "
                        + "denoiser learns to restore): train it first with objective: autoencoder, then the denoiser");
            }
        } catch (RuntimeException | Error e) {
            if (aligned != null) {
                aligned.close();
            }
            loaded.close();
            throw e;
        }
    }

    /** Channels of the denoiser state that alignment reads, from one forward of an empty latent. */
    private long alignedChannels(NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            int size = resolution / parts.vae().scaleFactor();
            NDArray latent = scope.zeros(new Shape(1, parts.denoiser().inChannels(), size, size));
            NDArray context = encodeCaptions(List.of(""), scope);
            TokenGrid grid = alignment.grid();
            return parts.denoiser().forwardWithFeatures(latent, scope.create(new long[] {0}), context, grid.rows(),
                    grid.cols()).hidden().getShape().get(1);
        }
    }

    /** {@code training.resolution}, or the denoiser's native size in pixels; a multiple of the VAE's factor. */
    static int resolution(TrainingSettings settings, GenerationComponents parts) {
        int factor = parts.vae().scaleFactor();
        int resolution = settings.resolution() != null ? settings.resolution() : parts.denoiser().sampleSize() * factor;
        if (resolution % factor != 0) {
            throw new IllegalArgumentException("training.resolution " + resolution + " must be a multiple of the "
                    + "VAE's scale factor " + factor);
        }
        return resolution;
    }

    private Object component(String slot) {
        return switch (slot) {
            case "text_encoder" -> parts.textEncoder();
            case "denoiser" -> parts.denoiser();
            case "vae" -> parts.vae();
            default -> null;
        };
    }

    GenerationComponents components() {
        return parts;
    }

    TrainedSlots slots() {
        return slots;
    }

    /** {@code alignment:}, or {@code null} without it. */
    RepresentationAlignment alignment() {
        return alignment;
    }

    /** The images' VAE posteriors kept between epochs. */
    LatentCache latentCache() {
        return latentCache;
    }

    /** Starts an empty cache of the given size in bytes (0: none); for tests, before the first step. */
    void latentCacheBudget(long bytes) {
        latentCache = new LatentCache(parts.vae(), bytes);
    }

    /** The square size images are trained at, in pixels. */
    int resolution() {
        return resolution;
    }

    @Override
    public Parameters parameters() {
        return slots.parameters();
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public Sample prepare(int index) {
        return prepared(data.get(index));
    }

    /** The sample, its image decoded only when the cache does not hold its latent. */
    private Sample prepared(Pair pair) {
        // alignment shows the encoder every clean image, so it needs the pixels even when the latent is kept
        return latentCache.contains(pair.image()) && alignment == null ? new Sample(pair, null) : sample(pair, resolution);
    }

    /** The image decoded, resized (shorter side to the resolution, bilinear) and center-cropped. */
    static Sample sample(Pair pair, int resolution) {
        RgbImage image;
        try {
            image = ImageDecoder.readRgb(pair.image());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(pair.where() + ": " + e.getMessage(), e);
        }
        double scale = (double) resolution / Math.min(image.width(), image.height());
        int width = Math.max(resolution, (int) Math.round(image.width() * scale));
        int height = Math.max(resolution, (int) Math.round(image.height() * scale));
        if (width != image.width() || height != image.height()) {
            image = Resampler.resize(image, width, height, Resample.BILINEAR);
        }
        return new Sample(pair, ImageOps.centerCrop(image, resolution, resolution));
    }

    @Override
    public long units(Sample sample) {
        return 1;
    }

    @Override
    public long work(Sample sample) {
        return 1;
    }

    @Override
    public String workUnit() {
        return "images";
    }

    /**
     * The sum over the micro-batch of each image's mean squared error, plus its alignment term with
     * {@code alignment:} (recorded when the caller records).
     */
    @Override
    public NDArray lossSum(List<Sample> micro, long seed, NDManager scope) {
        return lossSum(micro, seed, settings.captionDropout(), settings.snrGamma(), timestepWeights, alignment != null,
                scope);
    }

    /**
     * @param captionDropout the chance that an image trains with the empty caption instead of its own
     *     (drawn per image after the noise), which teaches the unconditional prediction that
     *     classifier-free guidance extrapolates from
     * @param snrGamma Min-SNR weighting of each image's MSE, or {@code null} for none (the held-out loss)
     * @param weights cumulative timestep weights ({@link TimestepBias}), or {@code null} for uniform draws
     *     (the held-out loss)
     * @param align whether each image's loss adds the alignment term (not in the held-out loss)
     */
    private NDArray lossSum(List<Sample> micro, long seed, double captionDropout, Double snrGamma, double[] weights,
            boolean align, NDManager scope) {
        int b = micro.size();
        Random random = new Random(seed);
        // 1. frozen parts: latents of the images, hidden states of the captions (no gradient reaches them)
        Autoencoder vae = parts.vae();
        List<Path> images = new ArrayList<>();
        List<NDArray> pixels = new ArrayList<>();
        for (Sample s : micro) {
            images.add(s.pair().image());
            pixels.add(s.image() == null ? null : Images.pixelValues(s.image(), scope)); // [1, 3, H, W]
        }
        LatentCache.Posterior posterior = latentCache.posterior(images, pixels, scope);
        Shape latentShape = posterior.mean().getShape(); // [B, C, h, w]
        long perImage = latentShape.size() / b;
        long[] timesteps = new long[b];
        float[] sampleNoise = new float[(int) latentShape.size()];
        float[] addedNoise = new float[(int) latentShape.size()];
        for (int i = 0; i < b; i++) {
            timesteps[i] = weights == null ? random.nextInt(noise.timesteps()) : TimestepBias.draw(weights, random);
            fillGaussian(random, sampleNoise, i * perImage, perImage);
            fillGaussian(random, addedNoise, i * perImage, perImage);
        }
        NDArray eps = scope.create(sampleNoise, latentShape);
        NDArray sample = posterior.mean().add(posterior.std().mul(eps));
        NDArray latents = (vae.shiftFactor() == 0 ? sample : sample.sub((float) vae.shiftFactor()))
                .mul((float) vae.scalingFactor());
        List<String> captions = new ArrayList<>();
        for (Sample s : micro) {
            captions.add(captionDropout > 0 && random.nextDouble() < captionDropout ? "" : s.pair().caption());
        }
        NDArray context = encodeCaptions(captions, scope);

        // 2. noise, timesteps, add_noise and the target
        NDArray added = scope.create(addedNoise, latentShape);
        NDArray t = scope.create(timesteps);
        NDArray noisy = DiffusionLoss.addNoise(noise.scheduler(), latents, added, t);
        NDArray target = noise.vPrediction() ? DiffusionLoss.velocity(noise.scheduler(), latents, added, t) : added;

        // 3. the denoiser's prediction: mean over the micro-batch times its images
        NDArray prediction;
        NDArray aligned = null;
        if (align) {
            TokenGrid grid = alignment.grid();
            Denoiser.Features f = parts.denoiser().forwardWithFeatures(noisy, t, context, grid.rows(), grid.cols());
            prediction = f.prediction();
            aligned = alignment.loss(f.hidden(), micro.stream().map(Sample::image).toList(), scope).sum();
        } else {
            prediction = parts.denoiser().forward(noisy, t, context, null);
        }
        NDArray diffusion = snrGamma == null ? Autograd.mul(DiffusionLoss.mse(prediction, target), b)
                : minSnrSum(prediction, target, timesteps, snrGamma, scope);
        return aligned == null ? diffusion : diffusion.add(aligned);
    }

    /** The sum of each image's MSE times its Min-SNR weight. */
    private NDArray minSnrSum(NDArray prediction, NDArray target, long[] timesteps, double snrGamma, NDManager scope) {
        int b = timesteps.length;
        float[] weights = new float[b];
        for (int i = 0; i < b; i++) {
            double ratio = snr[(int) timesteps[i]];
            weights[i] = (float) (Math.min(ratio, snrGamma) / (noise.vPrediction() ? ratio + 1 : ratio));
        }
        NDArray mses = prediction.sub(target).square().reshape(b, -1).mean(new int[] {1}); // [B]
        return mses.mul(scope.create(weights)).sum();
    }

    /** The micro-batch's images as {@code [B, 3, H, W]} pixels in [-1, 1]. */
    static NDArray pixels(List<Sample> micro, NDManager scope) {
        NDList pixels = new NDList();
        for (Sample s : micro) {
            pixels.add(Images.pixelValues(s.image(), scope)); // [1, 3, H, W]
        }
        return pixels.size() == 1 ? pixels.get(0) : NDArrays.concat(pixels, 0);
    }

    private static void fillGaussian(Random random, float[] values, long from, long count) {
        for (long i = from; i < from + count; i++) {
            values[(int) i] = (float) random.nextGaussian();
        }
    }

    /** {@code last_hidden_state [B, T, D]}: captions padded to the tokenizer's maximum length, as SD is trained. */
    private NDArray encodeCaptions(List<String> captions, NDManager scope) {
        TextEncoder textEncoder = parts.textEncoder();
        Tokenizer tokenizer = parts.tokenizer();
        int maxLength = Math.min(textEncoder.maxPositions(), tokenizer.modelMaxLength());
        long[][] ids = tokenizer.encodeBatch(captions, maxLength).ids();
        long[] flat = new long[ids.length * maxLength];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(ids[i], 0, flat, i * maxLength, maxLength);
        }
        NDArray hidden = textEncoder.encode(scope.create(flat, new Shape(ids.length, maxLength)), null).lastHiddenState();
        return hidden.toType(DataType.FLOAT32, false);
    }

    @Override
    public boolean hasEval() {
        return !evalData.isEmpty();
    }

    /** The mean MSE over the held-out images, each batch with draws from a fixed seed, so evaluations compare. */
    @Override
    public Map<String, Double> evaluate() {
        double sum = 0;
        int batch = settings.microBatchSize();
        for (int from = 0, k = 0; from < evalData.size(); from += batch, k++) {
            List<Sample> part = evalData.subList(from, Math.min(evalData.size(), from + batch)).stream()
                    .map(this::prepared).toList();
            long seed = new Random(settings.seed() * 1_000_003L - 1 - k).nextLong();
            try (NDManager scope = slots.manager().newSubManager()) {
                sum += lossSum(part, seed, 0, null, null, false, scope).getFloat(); // all captions, weights 1, uniform t
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", sum / evalData.size());
        return metrics;
    }

    @Override
    public void write(Path output, NDManager manager) {
        DiffusersWriter.write(output, config, slots, settings, manager);
    }

    @Override
    public void close() {
        slots.close();
        if (alignment != null) {
            alignment.close();
        }
        parts.close();
    }
}
