package org.mix4j.pipelines.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigException;

/**
 * Whether a pipeline's components fit one another, from the widths their factories declare
 * ({@link org.mix4j.registry.ComponentFactory#dimensions}) before any weight is read: what would
 * otherwise fail at run time as a raw engine shape error. A width a factory does not declare is
 * skipped.
 */
final class Compatibility {

    /**
     * {@code from.fromWidth} must equal {@code to.toWidth}; with {@code atMost}, it must not exceed it
     * (a tokenizer may use fewer ids than the embedding has rows).
     */
    private record Rule(String from, String fromWidth, String to, String toWidth, boolean atMost) {}

    private static final Map<String, List<Rule>> RULES = Map.of(
            "understanding", List.of(
                    new Rule("encoder", "output_width", "connector", "input_width", false),
                    new Rule("connector", "output_width", "llm", "hidden_size", false),
                    new Rule("tokenizer", "vocab_size", "llm", "vocab_size", true)),
            "generation", List.of(
                    new Rule("text_encoder", "output_width", "denoiser", "cross_attention_dim", false),
                    new Rule("text_encoder", "output_width", "controlnet", "cross_attention_dim", false),
                    new Rule("vae", "latent_channels", "denoiser", "in_channels", false),
                    new Rule("vae", "latent_channels", "controlnet", "in_channels", false),
                    new Rule("tokenizer", "vocab_size", "text_encoder", "vocab_size", true)),
            "retrieval", List.of(
                    new Rule("tokenizer", "vocab_size", "text_encoder", "vocab_size", true)),
            "text", List.of(
                    new Rule("tokenizer", "vocab_size", "llm", "vocab_size", true)));

    private Compatibility() {}

    /** One error per mismatch, at the origin of the first component's section. */
    static List<ConfigException> check(PipelineConfig config, Map<String, Map<String, Long>> declared) {
        List<ConfigException> errors = new ArrayList<>();
        Map<String, Map<String, Long>> dimensions = new java.util.HashMap<>(declared);
        String hires = "";
        Long low = declared.getOrDefault("encoder", Map.of()).get("output_width");
        Long high = declared.getOrDefault("encoder_hires", Map.of()).get("output_width");
        if (low != null && high != null) {
            // the two encoders' features are concatenated per token before the connector
            Map<String, Long> both = new java.util.HashMap<>(declared.get("encoder"));
            both.put("output_width", low + high);
            dimensions.put("encoder", both);
            hires = " (encoder " + low + " + encoder_hires " + high + ")";
        }
        for (Rule rule : RULES.getOrDefault(config.task(), List.of())) {
            Long from = dimensions.getOrDefault(rule.from(), Map.of()).get(rule.fromWidth());
            Long to = dimensions.getOrDefault(rule.to(), Map.of()).get(rule.toWidth());
            if (from == null || to == null || (rule.atMost() ? from <= to : from.equals(to))) {
                continue;
            }
            ComponentSpec spec = config.component(rule.from());
            String problem = rule.fromWidth().replace('_', ' ') + " " + from
                    + (rule.from().equals("encoder") && rule.fromWidth().equals("output_width") ? hires : "")
                    + (rule.atMost() ? " exceeds " : " does not match ") + rule.to() + " " + rule.toWidth() + " " + to;
            errors.add(new ConfigException(spec.origin(), rule.from(), problem, null));
        }
        return errors;
    }
}
