package org.mix4j.plugins.torchscript;

import java.util.List;
import java.util.Set;
import org.mix4j.config.Default;

/**
 * {@code torchscript:denoiser}: a traced UNet/DiT called as {@code forward(*inputs)}.
 *
 * @param file the archive, relative to the component directory
 * @param inChannels latent channels {@code C}
 * @param sampleSize native latent size
 * @param inputs which of {@code sample}, {@code timestep}, {@code encoder_hidden_states} the module
 *     takes, in its argument order
 * @param timestepDtype dtype the timestep is converted to ({@code float32} or {@code int64})
 */
public record TorchScriptDenoiserConfig(
        String file,
        int inChannels,
        int sampleSize,
        @Default("[sample, timestep, encoder_hidden_states]") List<String> inputs,
        @Default("float32") TimestepType timestepDtype) {

    public static final Set<String> ARGUMENTS = Set.of("sample", "timestep", "encoder_hidden_states");

    public enum TimestepType { FLOAT32, INT64 }

    public TorchScriptDenoiserConfig {
        if (inputs.isEmpty() || !ARGUMENTS.containsAll(inputs) || Set.copyOf(inputs).size() != inputs.size()) {
            throw new IllegalArgumentException("inputs must list distinct names among " + ARGUMENTS.stream().sorted().toList()
                    + " in the module's argument order, got " + inputs);
        }
        if (inChannels < 1 || sampleSize < 1) {
            throw new IllegalArgumentException("in_channels and sample_size must be positive, got " + inChannels + ", "
                    + sampleSize);
        }
        inputs = List.copyOf(inputs);
    }
}
