package org.mix4j.pipelines.task;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * Text generation settings ({@code generation:} of understanding and text pipelines). Defaults
 * come from the checkpoint's {@code generation_config.json} where it has them.
 *
 * @param temperature 0 means greedy
 * @param topK 0 disables top-k filtering
 * @param topP 1 disables nucleus filtering
 * @param eosTokenId stop ids; empty means the model config's {@code eos_token_id}
 */
public record DecodingSettings(
        @Default("256") int maxNewTokens,
        @Default("0") double temperature,
        @Default("0") int topK,
        @Default("1.0") double topP,
        @Default("1.0") double repetitionPenalty,
        @Default("0") long seed,
        @Default("[]") List<Long> eosTokenId,
        @Default("[]") List<String> stop,
        @OptionalKey Boolean doSample) {

    public DecodingSettings {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        }
        // NaN passes every comparison below: NaN temperature ran greedy, NaN top_p turned filtering off
        SettingChecks.finite("temperature", temperature);
        SettingChecks.finite("top_p", topP);
        SettingChecks.finite("repetition_penalty", repetitionPenalty);
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (repetitionPenalty <= 0) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        }
        for (Long id : eosTokenId) {
            if (id == null || id < 0) {
                throw new IllegalArgumentException("eos_token_id must be token ids >= 0, got " + eosTokenId);
            }
        }
    }

    /** Whether tokens are sampled (otherwise greedy). */
    public boolean sampling() {
        return doSample != null ? doSample : temperature > 0;
    }

    /** The same limits and stop conditions, greedy: no sampling, no repetition penalty. */
    public DecodingSettings greedy() {
        return new DecodingSettings(maxNewTokens, 0, 0, 1.0, 1.0, seed, eosTokenId, stop, false);
    }
}
