package org.mix4j.diffusion.lora;

import org.mix4j.config.Default;

/**
 * One LoRA merged into a denoiser at load time ({@code lora: [{ file: x.safetensors, scale: 0.8 }]}).
 *
 * @param file a kohya-ss / A1111 or diffusers/peft LoRA safetensors file; a relative path is
 *     resolved against the denoiser's weights folder
 * @param scale the multiplier ({@code <lora:name:scale>} in A1111, {@code cross_attention_kwargs
 *     scale} in diffusers); 0 leaves the weights unchanged
 */
public record LoraFile(String file, @Default("1.0") double scale) {

    public LoraFile {
        if (file == null || file.isBlank()) {
            throw new IllegalArgumentException("lora: each entry needs 'file:'");
        }
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("lora scale must be a finite number, got " + scale);
        }
    }
}
