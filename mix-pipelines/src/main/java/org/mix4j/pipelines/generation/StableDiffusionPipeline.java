package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.ControlNet;
import org.mix4j.api.LatentDistribution;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Scheduler;
import org.mix4j.image.Resample;
import org.mix4j.image.Resampler;
import org.mix4j.nn.CallAdapters;
import org.mix4j.nn.Linear;
import org.mix4j.pipelines.generation.PipelineNoise.Draw;
import org.mix4j.pipelines.generation.PromptEncoding.Conditioning;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/**
 * Text-to-image and image-to-image latent diffusion with classifier-free guidance: diffusers 0.31
 * {@code StableDiffusionPipeline}, {@code StableDiffusionImg2ImgPipeline}, with MultiDiffusion
 * tiling {@code StableDiffusionPanoramaPipeline}, and with a ControlNet
 * {@code StableDiffusionControlNetPipeline}. Rombach et al., "High-Resolution Image Synthesis
 * with Latent Diffusion Models" (2022). The pipeline owns the loop; the components know nothing of
 * each other.
 *
 * <p>Thread safety: {@link #generate} may be called from several threads at once. Each call runs
 * on its own scheduler ({@link Scheduler#newRun}), its own noise and its own child manager; the
 * models are only read (YAML LoRAs are merged once, when the denoiser loads; a request's own LoRAs
 * run unmerged on the calling thread only, see {@link CallAdapters}; a ControlNet's image, and
 * optionally the ControlNet itself, come with the request). Calls share the weights, so they share the CPU too: concurrency gives
 * throughput, not lower latency. The caller's {@code manager} must accept children from several
 * threads (DJL's managers do).
 */
public final class StableDiffusionPipeline {

    /** Latent columns of wrap-around padding for a circular decode (diffusers' default). */
    private static final int CIRCULAR_DECODE_PADDING = 8;

    private final GenerationComponents parts;

    public StableDiffusionPipeline(GenerationComponents parts) {
        this.parts = parts;
    }

    public GenerationComponents components() {
        return parts;
    }

    /** A run with the request's seeds and no observer. */
    public GenerationResult generate(GenerationRequest r, ProgressListener progress, NDManager manager) {
        return generate(r, seededNoise(r), GenerationObserver.NONE, progress, manager);
    }

    /**
     * Makes the request's images.
     *
     * @param noise the random draws (see {@link PipelineNoise#seeded}); tests inject stored ones
     * @param observer sees the intermediate tensors
     * @param manager receives the result; everything else is freed before returning
     */
    public GenerationResult generate(GenerationRequest r, PipelineNoise noise, GenerationObserver observer,
            ProgressListener progress, NDManager manager) {
        Autoencoder vae = parts.vae();
        int factor = vae.scaleFactor();
        RgbImage init = r.img2img() ? initImage(r, factor) : null;
        // No requested size: the init image's; with a ControlNet the control image's, rounded down to
        // a multiple of the VAE factor (diffusers sizes the output by the preprocessed control image).
        RgbImage controlImage = controlNet(r) != null ? r.controlImage : null;
        int nativeSize = parts.denoiser().sampleSize() * factor;
        int width = init != null ? init.width() : r.width > 0 ? r.width
                : controlImage != null ? controlImage.width() / factor * factor : nativeSize;
        int height = init != null ? init.height() : r.height > 0 ? r.height
                : controlImage != null ? controlImage.height() / factor * factor : nativeSize;
        checkSize(width, height, factor);
        try (NDManager work = manager.newSubManager(); CallAdapters.Scope loras = openLoras(r)) {
            // 1. encode the prompts: one conditioning row per image
            Conditioning conditioning = PromptEncoding.encode(r, parts.textEncoder(), parts.tokenizer(), work, observer);
            Shape latentShape = new Shape(conditioning.batch(), parts.denoiser().inChannels(), height / factor,
                    width / factor);

            // 2. timesteps: img2img runs only the last int(steps * strength) of them; the call's own
            // scheduler, so concurrent calls never share step state
            Scheduler scheduler = parts.scheduler().newRun(r.steps);
            double[] schedule = scheduler.timesteps();
            double[] timesteps = init == null ? schedule : img2imgTimesteps(schedule, r);
            observer.timesteps(schedule, timesteps);

            // 3. initial latents: scaled noise, or the encoded init image noised to the first timestep
            NDArray latents = init == null
                    ? noise.randn(Draw.INITIAL_LATENTS, work, latentShape).mul((float) scheduler.initNoiseSigma())
                    : encodeInitImage(init, latentShape, scheduler, timesteps[0], noise, observer, work);
            observer.startLatents(latents);

            // 4. denoising loop (with the ControlNet's residuals when there is one)
            GuidedDenoiser.Control control = controlInput(r, width, height, conditioning.batch(), observer, work);
            GuidedDenoiser model = new GuidedDenoiser(parts.denoiser(), conditioning, r.guidanceScale, control, work);
            DenoisingLoop loop = new DenoisingLoop(model, scheduler, noise.forSteps(), observer, progress);
            latents = loop.run(latents, timesteps, r.tiling, work);
            checkFinite(latents, timesteps.length);

            // 5. decode and post-process
            NDArray decoded = decode(latents, r.tiling, work).toType(DataType.FLOAT32, false); // VAE's type -> float32
            observer.decoded(decoded);
            NDArray image = Images.postprocess(decoded);
            for (NDArray a : new NDArray[] {latents, decoded, image}) {
                a.attach(manager);
            }
            return new GenerationResult(latents, decoded, image);
        }
    }

    /**
     * NaN or infinite latents (weights or inputs with non-finite values, or a guidance scale so
     * large it overflows) decode to a black or grey image; one reduction after the loop says so.
     */
    private static void checkFinite(NDArray latents, int steps) {
        try (NDManager check = latents.getManager().newSubManager()) {
            latents.tempAttach(check); // the masks land in the scope; the latents go back to their manager
            boolean nan = latents.isNaN().any().getBoolean();
            if (nan || latents.isInfinite().any().getBoolean()) {
                throw new IllegalStateException("the denoising loop produced " + (nan ? "NaN" : "infinite")
                        + " latents after " + steps + " steps; the denoiser's weights or the inputs (prompt "
                        + "embeddings, init image, guidance_scale) contain or cause non-finite values");
            }
        }
    }

    private static PipelineNoise seededNoise(GenerationRequest r) {
        int images = (r.prompts != null ? r.prompts.size()
                : r.promptIds != null ? (int) r.promptIds.getShape().get(0) : (int) r.promptEmbeds.getShape().get(0))
                * r.imagesPerPrompt;
        long[] seeds = new long[images];
        for (int i = 0; i < images; i++) {
            seeds[i] = r.seed(i);
        }
        if (r.seeds != null && r.seeds.length != images) {
            throw new IllegalArgumentException(r.seeds.length + " seeds for a batch of " + images + " images");
        }
        return PipelineNoise.seeded(seeds);
    }

    private static void checkSize(int width, int height, int factor) {
        if (width < factor || height < factor || width % factor != 0 || height % factor != 0) {
            throw new IllegalArgumentException("image size " + width + "x" + height + " must be a positive multiple of "
                    + "the VAE's scale factor " + factor);
        }
    }

    /**
     * The init image at the requested size (LANCZOS, as diffusers' image processor resizes), or at
     * its own size rounded down to a multiple of the VAE factor.
     */
    private static RgbImage initImage(GenerationRequest r, int factor) {
        RgbImage image = r.initImage;
        int width = r.width > 0 ? r.width : image.width() / factor * factor;
        int height = r.height > 0 ? r.height : image.height() / factor * factor;
        if (width == image.width() && height == image.height()) {
            return image;
        }
        checkSize(width, height, factor);
        return Resampler.resize(image, width, height, Resample.LANCZOS);
    }

    /** The call's ControlNet, else the pipeline's, or {@code null}. */
    private ControlNet controlNet(GenerationRequest r) {
        return r.controlNet != null ? r.controlNet : parts.controlNet();
    }

    /** The call's LoRAs, open on this thread while the call runs ({@code null} without any). */
    private static CallAdapters.Scope openLoras(GenerationRequest r) {
        if (r.loras.isEmpty()) {
            return null;
        }
        Map<Linear, List<Linear.Adapter>> all = new IdentityHashMap<>();
        for (GenerationRequest.Lora lora : r.loras) {
            lora.update().scaled(lora.scale()).forEach((linear, list) ->
                    all.computeIfAbsent(linear, l -> new ArrayList<>()).addAll(list));
        }
        return CallAdapters.open(all);
    }

    /** The ControlNet with its image at the output size, one row per image; {@code null} without one. */
    private GuidedDenoiser.Control controlInput(GenerationRequest r, int width, int height, long batch,
            GenerationObserver observer, NDManager work) {
        ControlNet net = controlNet(r);
        if (net == null) {
            if (r.controlImage != null) {
                throw new IllegalArgumentException("a control image needs a ControlNet: add a 'controlnet:' section");
            }
            return null;
        }
        if (r.controlImage == null) {
            throw new IllegalArgumentException("the pipeline has a ControlNet: give a control image (mix generate "
                    + "--control-image PATH)");
        }
        RgbImage image = r.controlImage;
        if (image.width() != width || image.height() != height) {
            image = Resampler.resize(image, width, height, Resample.LANCZOS);
        }
        NDArray one = Images.controlValues(image, work); // [1, 3, H, W]
        observer.controlImage(one);
        NDArray rows = batch == 1 ? one : one.repeat(0, batch); // [N, 3, H, W]
        return new GuidedDenoiser.Control(net, rows, r.controlScale);
    }

    /** {@code schedule[t_start:]} with {@code t_start = steps - min(int(steps * strength), steps)}. */
    private static double[] img2imgTimesteps(double[] schedule, GenerationRequest r) {
        int run = Math.min((int) (r.steps * r.strength), r.steps);
        if (run < 1) {
            throw new IllegalArgumentException("strength " + r.strength + " with " + r.steps + " steps runs no step; "
                    + "raise num_inference_steps or strength");
        }
        int start = Math.max(r.steps - run, 0);
        return Arrays.copyOfRange(schedule, Math.min(start, schedule.length), schedule.length);
    }

    /**
     * img2img start: a sample of the VAE posterior ({@code mean + std * noise}, scaled and shifted
     * as the denoiser's latents are), noised to timestep {@code t0} by the scheduler.
     */
    private NDArray encodeInitImage(RgbImage init, Shape latentShape, Scheduler scheduler, double t0,
            PipelineNoise noise, GenerationObserver observer, NDManager work) {
        Autoencoder vae = parts.vae();
        NDArray pixels = Images.pixelValues(init, work);
        LatentDistribution posterior = vae.encode(pixels); // [1, C, h, w] each
        long batch = latentShape.get(0);
        // the posterior in the VAE's type; the latents are float32
        NDArray mean = posterior.mean().toType(DataType.FLOAT32, false).repeat(0, batch);
        NDArray std = posterior.std().toType(DataType.FLOAT32, false).repeat(0, batch);
        NDArray sample = mean.add(std.mul(noise.randn(Draw.VAE_SAMPLE, work, latentShape)));
        float scaling = (float) vae.scalingFactor();
        NDArray initLatents = vae.shiftFactor() == 0 ? sample.mul(scaling)
                : sample.sub((float) vae.shiftFactor()).mul(scaling);
        observer.initImage(pixels, posterior, initLatents);
        NDArray imageNoise = noise.randn(Draw.IMG2IMG_NOISE, work, latentShape);
        return scheduler.addNoise(initLatents, imageNoise, t0);
    }

    /**
     * Latents to pixels: undo the scaling ({@code latents / scaling_factor + shift_factor}); a
     * circular panorama is decoded with wrapped-round latent columns on both sides, then cropped.
     */
    private NDArray decode(NDArray latents, DenoiseTiling tiling, NDManager work) {
        Autoencoder vae = parts.vae();
        float scaling = (float) vae.scalingFactor();
        if (tiling == null || !tiling.circular()) {
            NDArray z = latents.div(scaling);
            return vae.decode(vae.shiftFactor() == 0 ? z : z.add((float) vae.shiftFactor()));
        }
        // diffusers multiplies by 1 / scaling_factor here, not divides: kept for the same rounding
        NDArray z = latents.mul((float) (1.0 / vae.scalingFactor()));
        if (vae.shiftFactor() != 0) {
            z = z.add((float) vae.shiftFactor());
        }
        long width = z.getShape().get(3);
        int pad = (int) Math.min(CIRCULAR_DECODE_PADDING, width);
        NDArray padded = z.get("..., {}:", width - pad).concat(z, 3).concat(z.get("..., :{}", pad), 3);
        NDArray decoded = vae.decode(padded);
        long crop = (long) vae.scaleFactor() * pad;
        return decoded.get("..., {}:{}", crop, decoded.getShape().get(3) - crop);
    }
}
