package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/** A vision tower: {@code [B, 3, H, W]} pixels to token features {@code [B, N, D]}. */
public interface VisionEncoder extends Component {

    /**
     * Encodes a batch of preprocessed images.
     *
     * @param pixelValues float {@code [B, 3, H, W]}
     * @return outputs attached to the manager of {@code pixelValues}
     */
    EncoderOutput encode(NDArray pixelValues);

    /** Width {@code D} of {@link EncoderOutput#features()}. */
    int hiddenSize();

    /** The token grid {@link EncoderOutput#features()} will have for an input of this size. */
    TokenGrid grid(int height, int width);

    /** The square input size the encoder was trained at (pixels). */
    int imageSize();
}
