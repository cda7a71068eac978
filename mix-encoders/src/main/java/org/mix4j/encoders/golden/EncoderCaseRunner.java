package org.mix4j.encoders.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.encoders.clip.ClipModel;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden runner for {@code clip_vision}, {@code siglip_vision}, {@code clip_text} and
 * {@code clip_full}. Models are loaded through {@link ComponentLoader} exactly as YAML would load
 * them; everything size-related comes from the case's config. Output names are the reference's
 * fields; a {@code hidden_states_*} output is the encoder's {@code features} with the matching
 * {@code feature_layer} and {@code select: full} (the reference keeps every token).
 */
@Extension
public final class EncoderCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public EncoderCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("clip_vision", "siglip_vision", "clip_text", "clip_full");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        return switch (c.kind()) {
            case "clip_vision", "siglip_vision" -> vision(c, manager);
            case "clip_text" -> text(c, manager);
            case "clip_full" -> full(c, manager);
            default -> throw new IllegalArgumentException("not an encoder kind: " + c.kind());
        };
    }

    private Map<String, NDArray> vision(GoldenCase c, NDManager manager) {
        NDArray pixels = c.tensor("pixel_values", manager);
        List<String> hiddenOutputs = new ArrayList<>();
        for (String output : c.outputs()) {
            if (CaseLoading.featureLayer(output) != null) {
                hiddenOutputs.add(output);
            }
        }
        Map<String, NDArray> results = new LinkedHashMap<>();
        // One load per hidden-state output (the first also gives the other outputs); at least one load.
        int loads = Math.max(1, hiddenOutputs.size());
        for (int i = 0; i < loads; i++) {
            Map<String, Object> overrides = CaseLoading.overrides(c);
            String hiddenOutput = hiddenOutputs.isEmpty() ? null : hiddenOutputs.get(i);
            if (hiddenOutput != null) {
                overrides.put("feature_layer", CaseLoading.featureLayer(hiddenOutput));
                overrides.put("select", "full");
            }
            try (VisionEncoder encoder = loader.load(c.kind(), Role.VISION_ENCODER, c.dir(), overrides, manager,
                    CaseLoading.dtype(c))) {
                EncoderOutput out = encoder.encode(pixels);
                if (i == 0) {
                    putIfPresent(results, "last_hidden_state", out.lastHiddenState());
                    putIfPresent(results, "pooler_output", out.pooled());
                    putIfPresent(results, "image_embeds", out.embeds());
                }
                putIfPresent(results, hiddenOutput, out.features());
            }
        }
        return results;
    }

    private Map<String, NDArray> text(GoldenCase c, NDManager manager) {
        NDArray ids = c.tensor("input_ids", manager);
        NDArray mask = c.inputs().contains("attention_mask") ? c.tensor("attention_mask", manager) : null;
        try (TextEncoder encoder = loader.load("clip_text", Role.TEXT_ENCODER, c.dir(), CaseLoading.overrides(c),
                manager, CaseLoading.dtype(c))) {
            EncoderOutput out = encoder.encode(ids, mask);
            Map<String, NDArray> results = new LinkedHashMap<>();
            putIfPresent(results, "last_hidden_state", out.lastHiddenState());
            putIfPresent(results, "pooler_output", out.pooled());
            putIfPresent(results, "text_embeds", out.embeds());
            return results;
        }
    }

    private Map<String, NDArray> full(GoldenCase c, NDManager manager) {
        NDArray pixels = c.tensor("pixel_values", manager);
        NDArray ids = c.tensor("input_ids", manager);
        NDArray mask = c.inputs().contains("attention_mask") ? c.tensor("attention_mask", manager) : null;
        DataType dtype = CaseLoading.dtype(c);
        try (ClipModel model = ClipModel.load(loader, c.dir(), CaseLoading.overrides(c), manager, dtype)) {
            ClipModel.Output out = model.forward(pixels, ids, mask);
            Map<String, NDArray> results = new LinkedHashMap<>();
            results.put("logits_per_image", out.logitsPerImage());
            results.put("logits_per_text", out.logitsPerText());
            results.put("image_embeds", out.imageEmbeds());
            results.put("text_embeds", out.textEmbeds());
            return results;
        }
    }

    private static void putIfPresent(Map<String, NDArray> results, String name, NDArray value) {
        if (name != null && value != null) {
            results.put(name, value);
        }
    }
}
