package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.config.JsonConfig;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.CaptionData.Pair;

/**
 * {@code objective: autoencoder} on {@code task: generation} pipelines: trains the VAE ({@code trainable: [vae]})
 * to reconstruct the data's images, the first stage of a latent diffusion model (Rombach et al. 2022,
 * without their perceptual and adversarial terms). Each image is prepared as for {@code objective: diffusion}
 * (shorter side to {@code resolution}, center crop, [-1, 1]), encoded into its posterior, a sample of it
 * decoded, and the image's loss is
 * <pre>
 *   mean over pixels of (decoded - image)^2  +  kl_weight * mean over latent values of KL(posterior || N(0, 1))
 * </pre>
 * with {@code KL = (mean^2 + std^2 - 1 - log std^2) / 2} per latent value. The captions are not used.
 *
 * <p>Held-out metrics: {@code loss}, {@code mse} (reconstruction of the posterior's mean, the
 * latents a diffusion model is trained on) and {@code psnr} in dB of that reconstruction on the
 * [0, 1] scale. The written VAE's {@code scaling_factor} is set, as Stable Diffusion's 0.18215 was
 * chosen, to one over the standard deviation of the posterior means of up to 512 training images, so
 * that the latents a denoiser sees have unit variance.
 */
final class AutoencoderObjective implements Objective<DiffusionObjective.Sample> {

    /** Training images whose latents set the scaling factor. */
    static final int SCALING_IMAGES = 512;

    private final PipelineConfig config;
    private final TrainingSettings settings;
    private final GenerationComponents parts;
    private final TrainedSlots slots;
    private final int resolution;
    private final List<Pair> data;
    private final List<Pair> evalData;

    AutoencoderObjective(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager manager) {
        if (!config.task().equals(Tasks.GENERATION.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "objective autoencoder trains the VAE "
                    + "of task: generation pipelines, not '" + config.task() + "'", List.of("generation"));
        }
        this.config = config;
        this.settings = settings;
        this.data = CaptionData.readExisting(base.resolve(settings.data()));
        this.evalData = settings.evalData() == null ? List.of() : CaptionData.readExisting(base.resolve(settings.evalData()));
        GenerationComponents loaded = GenerationComponents.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
        try {
            this.parts = loaded;
            this.resolution = DiffusionObjective.resolution(settings, parts);
            this.slots = TrainedSlots.of(config, List.of("vae"), s -> s.equals("vae") ? parts.vae() : null, settings,
                    manager);
        } catch (RuntimeException | Error e) {
            loaded.close();
            throw e;
        }
    }

    GenerationComponents components() {
        return parts;
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
    public DiffusionObjective.Sample prepare(int index) {
        return DiffusionObjective.sample(data.get(index), resolution);
    }

    @Override
    public long units(DiffusionObjective.Sample sample) {
        return 1;
    }

    @Override
    public long work(DiffusionObjective.Sample sample) {
        return 1;
    }

    @Override
    public String workUnit() {
        return "images";
    }

    /** The sum over the micro-batch of each image's reconstruction error plus its weighted KL term. */
    @Override
    public NDArray lossSum(List<DiffusionObjective.Sample> micro, long seed, NDManager scope) {
        NDArray pixels = DiffusionObjective.pixels(micro, scope);
        LatentDistribution posterior = parts.vae().encode(pixels);
        NDArray mean = posterior.mean();
        NDArray std = posterior.std();
        Random random = new Random(seed);
        float[] eps = new float[(int) mean.getShape().size()];
        for (int i = 0; i < eps.length; i++) {
            eps[i] = (float) random.nextGaussian();
        }
        NDArray sample = mean.add(std.mul(scope.create(eps, mean.getShape())));
        NDArray decoded = parts.vae().decode(sample);
        NDArray reconstruction = DiffusionLoss.mse(decoded, pixels); // mean over the batch = mean of per-image means
        NDArray variance = std.square();
        NDArray kl = mean.square().add(variance).sub(1f).sub(variance.log()).mul(0.5f).mean();
        NDArray perImage = reconstruction.add(kl.mul((float) settings.klWeight()));
        return Autograd.mul(perImage, micro.size());
    }

    @Override
    public boolean hasEval() {
        return !evalData.isEmpty();
    }

    /** The held-out loss (fixed draws), and the MSE and PSNR of decoding the posterior means. */
    @Override
    public Map<String, Double> evaluate() {
        double loss = 0;
        double mse = 0;
        int batch = settings.microBatchSize();
        for (int from = 0, k = 0; from < evalData.size(); from += batch, k++) {
            List<DiffusionObjective.Sample> part = evalData.subList(from, Math.min(evalData.size(), from + batch))
                    .stream().map(p -> DiffusionObjective.sample(p, resolution)).toList();
            long seed = new Random(settings.seed() * 1_000_003L - 1 - k).nextLong();
            try (NDManager scope = slots.manager().newSubManager()) {
                loss += lossSum(part, seed, scope).getFloat();
                NDArray pixels = DiffusionObjective.pixels(part, scope);
                NDArray decoded = parts.vae().decode(parts.vae().encode(pixels).mean());
                mse += DiffusionLoss.mse(decoded.clip(-1f, 1f), pixels).getFloat() * part.size();
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", loss / evalData.size());
        double meanMse = mse / evalData.size();
        metrics.put("mse", meanMse);
        metrics.put("psnr", 10 * Math.log10(4 / meanMse)); // [-1, 1] has range 2: on [0, 1] the MSE is a quarter
        return metrics;
    }

    /**
     * One over the standard deviation of the posterior means of the first {@link #SCALING_IMAGES}
     * training images (all their latent values together), after the VAE's shift factor.
     */
    double scalingFactor() {
        Autoencoder vae = parts.vae();
        int count = Math.min(SCALING_IMAGES, data.size());
        double sum = 0;
        double squares = 0;
        long n = 0;
        int batch = Math.max(1, settings.microBatchSize());
        for (int from = 0; from < count; from += batch) {
            List<DiffusionObjective.Sample> part = data.subList(from, Math.min(count, from + batch)).stream()
                    .map(p -> DiffusionObjective.sample(p, resolution)).toList();
            try (NDManager scope = slots.manager().newSubManager()) {
                NDArray latents = vae.encode(DiffusionObjective.pixels(part, scope)).mean();
                float[] values = latents.toType(DataType.FLOAT32, false).toFloatArray();
                for (float v : values) {
                    double x = v - vae.shiftFactor();
                    sum += x;
                    squares += x * x;
                }
                n += values.length;
            }
        }
        double mean = sum / n;
        double std = Math.sqrt(Math.max(0, squares / n - mean * mean));
        if (!(std > 0)) {
            throw new IllegalStateException("the trained VAE maps every image to the same latents (their standard "
                    + "deviation is " + std + "): no scaling factor can be set");
        }
        return 1 / std;
    }

    @Override
    public void write(Path output, NDManager manager) {
        double factor = scalingFactor();
        DiffusersWriter.write(output, config, slots, settings, manager);
        Path vaeConfig = output.resolve("vae").resolve("config.json");
        if (Files.isRegularFile(vaeConfig)) {
            JsonObject json = JsonConfig.read(vaeConfig);
            json.addProperty("scaling_factor", factor);
            try {
                Files.writeString(vaeConfig, new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + vaeConfig + ": " + e.getMessage(), e);
            }
            System.out.printf(Locale.ROOT, "%s: scaling_factor %.5f (one over the latents' standard deviation on %d "
                    + "training images)%n", vaeConfig, factor, Math.min(SCALING_IMAGES, data.size()));
        } else {
            System.out.printf(Locale.ROOT, "the latents' standard deviation on %d training images is %.5f: set "
                    + "scaling_factor: %.5f in the vae section of %s%n", Math.min(SCALING_IMAGES, data.size()),
                    1 / factor, factor, output.resolve("pipeline.yaml"));
        }
    }

    @Override
    public void close() {
        slots.close();
        parts.close();
    }
}
