package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.mix4j.nn.LoraUpdate;

/** A diffusion denoiser (UNet, DiT): predicts noise (or v, or x0) for a noisy latent. */
public interface Denoiser extends Component {

    /**
     * @param sample {@code [B, C, h, w]} noisy latents
     * @param timestep {@code [B]} timesteps (int64 or float)
     * @param encoderHiddenStates {@code [B, T, D]} conditioning
     * @param residuals ControlNet residuals, or {@code null}
     * @return {@code [B, C, h, w]}
     */
    NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, DenoiserResiduals residuals);

    /**
     * {@link #forward} without ControlNet residuals that also hands back a hidden state of the
     * denoiser: the deepest state of the down path whose spatial size is {@code height x width}. It is
     * what training aligns with a frozen image encoder's patch features (representation alignment);
     * both results are attached to {@code sample}'s manager.
     *
     * @throws IllegalArgumentException when no state of the down path has that size
     * @throws UnsupportedOperationException for a denoiser that exposes no hidden states
     */
    default Features forwardWithFeatures(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, long height,
            long width) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " exposes no hidden states to align");
    }

    /**
     * @param prediction as {@link #forward}
     * @param hidden {@code [B, C, height, width]}
     */
    record Features(NDArray prediction, NDArray hidden) {}

    int inChannels();

    /** Native latent size (config {@code sample_size}). */
    int sampleSize();

    /**
     * Reads a LoRA file as per-call adapters of this denoiser's linears ({@link org.mix4j.nn.CallAdapters}),
     * without changing its weights: a server applies a request's LoRA only while that request runs.
     *
     * @param manager where the factors are allocated; the result owns it
     * @throws IllegalArgumentException when the file adapts a module that has no per-call path
     *     (naming it) or matches nothing of this model
     * @throws UnsupportedOperationException for a denoiser without per-call LoRA
     */
    default LoraUpdate loadLora(Path file, NDManager manager) {
        manager.close();
        throw new UnsupportedOperationException(getClass().getSimpleName() + " takes no per-call LoRA; merge it at "
                + "load instead (the denoiser section's lora:)");
    }
}
