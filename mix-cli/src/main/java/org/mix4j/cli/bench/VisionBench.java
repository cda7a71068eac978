package org.mix4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.clip.ClipVisionEncoder;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench vision}: CLIP ViT image towers at real shapes with random weights, images per
 * second and the fraction of the machine's matmul throughput they reach (FLOPs from
 * {@link VitFlops}).
 */
@Extension
@Command(name = "vision", mixinStandardHelpOptions = true,
        description = "CLIP ViT-B/16 at 224 px and ViT-L/14 at 336 px: images/s vs matmul throughput.")
public final class VisionBench extends AbstractBenchSection {

    /** config.json values of openai/clip-vit-base-patch16 and clip-vit-large-patch14-336. */
    static final Map<String, Map<String, Object>> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("vit-b/16-224", Map.of("hidden_size", 768, "intermediate_size", 3072, "num_hidden_layers", 12,
                "num_attention_heads", 12, "image_size", 224, "patch_size", 16, "projection_dim", 512));
        MODELS.put("vit-l/14-336", Map.of("hidden_size", 1024, "intermediate_size", 4096, "num_hidden_layers", 24,
                "num_attention_heads", 16, "image_size", 336, "patch_size", 14, "projection_dim", 768));
    }

    @Option(names = "--model", split = ",", paramLabel = "NAME",
            description = "Towers to measure: vit-b/16-224, vit-l/14-336 (default: both).")
    List<String> models = List.copyOf(MODELS.keySet());

    @Option(names = "--batch", split = ",", defaultValue = "1,8", description = "Batch sizes (default ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Override
    public int order() {
        return 10;
    }

    @Override
    public void run(BenchRun run) {
        MachineProfile machine = run.machine();
        for (String name : models) {
            Map<String, Object> shape = MODELS.get(name);
            if (shape == null) {
                throw new IllegalArgumentException("unknown --model '" + name + "'; known: " + MODELS.keySet());
            }
            measure(run, machine, name, shape);
        }
    }

    private void measure(BenchRun run, MachineProfile machine, String name, Map<String, Object> shape) {
        Map<String, Object> overrides = new LinkedHashMap<>(shape);
        overrides.put("init", "random");
        overrides.put("seed", 0);
        try (NDManager manager = NDManager.newBaseManager()) {
            run.progress("loading " + name + " (random init)");
            VisionEncoder encoder = run.loader().load("clip_vision", Role.VISION_ENCODER, null, overrides, manager,
                    DataType.FLOAT32);
            try (encoder) {
                double flops = VitFlops.perImage(((ClipVisionEncoder) encoder).config());
                run.note(String.format(Locale.ROOT, "%s: %.1f GFLOP per image", name, flops / 1e9));
                int size = encoder.imageSize();
                for (int batch : batches) {
                    run.progress(name + ", batch " + batch);
                    NDArray pixels = manager.randomNormal(new Shape(batch, 3, size, size));
                    int runs = run.runs(flops * batch > 1e12 ? 3 : 5);
                    double[] ms = run.time(1, runs, () -> close(encoder.encode(pixels)));
                    BenchResult r = BenchResult.rate("vision", name + " fp32", "batch " + batch, "images/s", ms, batch);
                    double gflops = flops / 1e9 * r.median();
                    run.add(r.withRatio(gflops / machine.matmulGflops(), "matmul throughput")
                            .detail("flops_per_image", flops).detail("gflops", gflops));
                    pixels.close();
                }
            }
        }
    }

    private static void close(EncoderOutput out) {
        for (NDArray a : new NDArray[] {out.lastHiddenState(), out.pooled(), out.embeds(), out.features()}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
