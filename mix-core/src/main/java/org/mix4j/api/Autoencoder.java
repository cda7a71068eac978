package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/** A VAE between pixels in [-1, 1] and latents. */
public interface Autoencoder extends Component {

    /** {@code [B, 3, H, W]} -> posterior over unscaled latents. */
    LatentDistribution encode(NDArray pixels);

    /** Unscaled latents {@code [B, C, h, w]} -> pixels {@code [B, 3, H, W]} in about [-1, 1]. */
    NDArray decode(NDArray latents);

    double scalingFactor();

    /** 0 when the checkpoint has none. */
    double shiftFactor();

    /** Pixels per latent along each side (8 for SD). */
    int scaleFactor();
}
