package org.mix4j.api;

/**
 * A component that holds its large matrix products packed when asked ({@code quantize: int8} or
 * {@code fp16}).
 * Components that only list their {@link Trainable#projections()} are quantized projection by
 * projection; a component implements this when it holds more than that (an embedding table tied to
 * its LM head, views of the weights made for its threads) and must free those too.
 */
public interface Quantizable {

    /**
     * Packs the weights in place ({@link org.mix4j.nn.Linear#quantize}) and frees their
     * floating-point copies. The component then infers only: training or adding adapters fails.
     */
    void quantize(org.mix4j.tensor.WeightFormat format);
}
