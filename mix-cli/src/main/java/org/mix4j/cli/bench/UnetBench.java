package org.mix4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.cli.ProcessMemory;
import org.mix4j.diffusion.unet.Unet2dCondition;
import org.mix4j.diffusion.vae.AutoencoderKl;
import org.mix4j.tensor.TensorParallel;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench unet}: one denoising step of a Stable Diffusion 1.5-shaped UNet and VAE decodes
 * at 512 and (tiled) 1024 pixels, with random weights. Step time is compared with the time its
 * convolution and matmul FLOPs ({@link DiffusionFlops}) would take at the machine's matmul
 * throughput; a profiled step shows how many engine ops it runs and how much time goes outside
 * the matmul/convolution kernels. VAE rows carry the process's peak resident memory.
 */
@Extension
@Command(name = "unet", mixinStandardHelpOptions = true,
        description = "SD 1.5 UNet step (64x64 latents, batch 2) and SD VAE decode 512 / tiled 1024: seconds, memory.")
public final class UnetBench extends AbstractBenchSection {

    private static final long MIB = 1 << 20;

    /** runwayml/stable-diffusion-v1-5 unet/config.json values that differ from the class defaults. */
    static final Map<String, Object> UNET = Map.of("sample_size", 64, "cross_attention_dim", 768,
            "attention_head_dim", 8, "block_out_channels", List.of(320, 640, 1280, 1280), "layers_per_block", 2);

    /** Its vae/config.json, tiling on (512 px / 64-latent tiles, overlap 0.25 as diffusers' enable_tiling()). */
    static final Map<String, Object> VAE = Map.of("block_out_channels", List.of(128, 256, 512, 512),
            "down_block_types", List.of("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"),
            "up_block_types", List.of("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"),
            "layers_per_block", 2, "sample_size", 512, "latent_channels", 4, "tiling", Map.of("enabled", true));

    @Option(names = "--skip-vae", description = "Measure the UNet step only.")
    boolean skipVae;

    @Option(names = "--skip-unet", description = "Measure the VAE only.")
    boolean skipUnet;

    @Option(names = "--no-profile", description = "Skip the profiled UNet step (op counts, time outside kernels).")
    boolean noProfile;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Keep the profiled step's Chrome trace (chrome://tracing, Perfetto; calling thread only).")
    java.nio.file.Path trace;

    @Override
    public int order() {
        return 30;
    }

    @Override
    public void run(BenchRun run) throws Exception {
        MachineProfile machine = run.machine();
        if (!skipUnet) {
            unet(run, machine);
        }
        if (!skipVae) {
            vae(run, machine);
        }
    }

    private void unet(BenchRun run, MachineProfile machine) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            run.progress("loading the SD 1.5 UNet (random init)");
            Denoiser unet = run.loader().load("unet2d_condition", Role.DENOISER, null, randomInit(UNET), manager,
                    DataType.FLOAT32);
            try (unet) {
                int batch = 2;
                NDArray sample = manager.randomNormal(new Shape(batch, 4, 64, 64));
                NDArray timestep = manager.create(new long[] {500, 500});
                NDArray context = manager.randomNormal(new Shape(batch, 77, 768));
                double flops = DiffusionFlops.unetStep(((Unet2dCondition) unet).config(), batch, 64, 64, 77);
                run.progress("UNet step, batch 2");
                double[] ms = run.time(1, run.runs(3), () -> unet.forward(sample, timestep, context, null).close());
                BenchResult r = BenchResult.seconds("unet", "sd1.5 unet 64x64 batch 2", "step", ms);
                double kernelBound = flops / (machine.matmulGflops() * 1e9); // seconds at matmul speed
                run.add(r.withRatio(kernelBound / r.median(), "matmul throughput").detail("flops", flops)
                        .detail("gflops", flops / 1e9 / r.median()));
                if (!noProfile && EngineProfiler.available()) {
                    run.progress("profiled UNet step");
                    // a one-thread copy: the profiler records the calling thread's ops only
                    unet.close(); // its memory goes to the copy
                    EngineProfiler.Summary s;
                    try (Denoiser serial = run.loader().withParallel(TensorParallel.SERIAL).load("unet2d_condition",
                            Role.DENOISER, null, randomInit(UNET), manager, DataType.FLOAT32)) {
                        s = EngineProfiler.profile(() -> serial.forward(sample, timestep, context, null).close(),
                                trace);
                    }
                    run.params().addProperty("profiled_ops_per_step", s.ops());
                    run.params().addProperty("profiled_op_ms", s.opMillis());
                    run.params().addProperty("profiled_kernel_ms", s.kernelMillis());
                    run.params().addProperty("profiled_copy_ops", s.copyOps());
                    run.params().addProperty("profiled_copy_ms", s.copyMillis());
                    run.note(String.format(Locale.ROOT, "profiled step (one thread): %d engine ops, %.2f s in ops, %.0f%% of it "
                                    + "outside matmul/conv kernels; %d copy/layout ops (%.2f s); slowest: %s", s.ops(),
                            s.opMillis() / 1000, 100 * s.outsideKernels(), s.copyOps(), s.copyMillis() / 1000,
                            EngineProfiler.top(s, 8)));
                }
            }
        }
    }

    private void vae(BenchRun run, MachineProfile machine) {
        try (NDManager manager = NDManager.newBaseManager()) {
            run.progress("loading the SD VAE (random init)");
            Autoencoder vae = run.loader().load("autoencoder_kl", Role.AUTOENCODER, null, randomInit(VAE), manager,
                    DataType.FLOAT32);
            try (vae) {
                boolean resets = ProcessMemory.resetPeak();
                run.note("peak resident added = the process's VmHWM during one decode (reset first: "
                        + (resets ? "yes" : "not possible here, so it is the peak since the process started")
                        + ") minus its resident size before it; the resident size before (weights, JVM heap) is in "
                        + "the JSON details. A run reads near 0 when the allocator kept the previous decode's memory "
                        + "and reused it (a baseline taken earlier is no better: other sections' memory is returned "
                        + "to the system at unpredictable times), so the max is the figure to read");
                decode(run, machine, vae, manager, 64, "vae decode 512x512", 1);
                decode(run, machine, vae, manager, 128, "vae tiled decode 1024x1024", 0);
            }
        }
    }

    private static void decode(BenchRun run, MachineProfile machine, Autoencoder vae, NDManager manager, int latent,
            String subject, int warmup) {
        AutoencoderKl kl = (AutoencoderKl) vae;
        NDArray latents = manager.randomNormal(new Shape(1, 4, latent, latent));
        boolean tiled = kl.config().tilingEnabled() && latent > kl.config().tileLatentMinSize();
        double flops = tiled ? DiffusionFlops.vaeTiledDecode(kl.config(), 1, latent, latent)
                : DiffusionFlops.vaeDecode(kl.config(), 1, latent, latent);
        run.progress(subject);
        for (int i = 0; i < warmup; i++) {
            vae.decode(latents).close();
        }
        int runs = run.runs(3);
        double[] ms = new double[runs];
        double[] added = new double[runs];
        double before = 0;
        for (int i = 0; i < runs; i++) {
            System.gc(); // the heap's garbage from loading out of the figure as far as the JVM returns it
            before = ProcessMemory.read().rssBytes() / (double) MIB;
            ProcessMemory.resetPeak();
            long start = System.nanoTime();
            vae.decode(latents).close();
            ms[i] = (System.nanoTime() - start) / 1e6;
            added[i] = ProcessMemory.read().peakBytes() / (double) MIB - before;
        }
        BenchResult r = BenchResult.seconds("unet", subject, "decode", ms);
        double kernelBound = flops / (machine.matmulGflops() * 1e9);
        run.add(r.withRatio(kernelBound / r.median(), "matmul throughput").detail("flops", flops));
        if (before > 0) {
            run.add(BenchResult.of("unet", subject, "peak resident added", "MiB", added)
                    .detail("resident_before_mib", before));
        }
        latents.close();
    }

    private static Map<String, Object> randomInit(Map<String, Object> config) {
        Map<String, Object> overrides = new LinkedHashMap<>(config);
        overrides.put("init", "random");
        overrides.put("seed", 0);
        return overrides;
    }
}
