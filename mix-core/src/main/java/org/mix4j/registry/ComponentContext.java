package org.mix4j.registry;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * What a factory gets besides its config.
 *
 * @param directory the component's directory (checkpoint or its sub-folder), or {@code null}
 * @param weights the component's tensors, already under its {@code weights_prefix}; {@code null}
 *     for components without weights
 * @param manager owns the component's weights; closed with the component
 * @param dtype floating-point type the component computes in
 * @param checkpointConfig the whole config file of {@code directory}, or {@code null}
 * @param seed seed for components that draw random numbers at construction
 * @param parallel the threads large tensor ops of the component are split over
 */
public record ComponentContext(
        Path directory, Weights weights, NDManager manager, DataType dtype, JsonObject checkpointConfig, long seed,
        TensorParallel parallel) {}
