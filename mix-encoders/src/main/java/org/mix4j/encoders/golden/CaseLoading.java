package org.mix4j.encoders.golden;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mix4j.golden.GoldenCase;

/** What the encoder runners read from {@code case.json} to load a case's model. */
final class CaseLoading {

    private CaseLoading() {}

    /** {@code weights} and {@code config} as the case names them, relative to its directory. */
    static Map<String, Object> overrides(GoldenCase c) {
        Map<String, Object> overrides = new LinkedHashMap<>();
        JsonElement weights = c.json().get("weights");
        if (weights != null && weights.isJsonPrimitive()) {
            overrides.put("weights", weights.getAsString());
        }
        JsonElement config = c.json().get("config");
        if (config != null && config.isJsonPrimitive()) {
            overrides.put("config", config.getAsString());
        }
        return overrides;
    }

    /** The case's {@code dtype} (float32 when absent). */
    static DataType dtype(GoldenCase c) {
        JsonElement d = c.json().get("dtype");
        String name = d == null ? "float32" : d.getAsString();
        if ("float64".equals(name)) {
            return DataType.FLOAT64; // reference cases may run in double precision; pipelines may not
        }
        try {
            return org.mix4j.tensor.ComputeTypes.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.name() + ": case.json: " + e.getMessage() + " (or float64)", e);
        }
    }

    /**
     * The {@code feature_layer} a hidden-state output of the case asks for, or {@code null}:
     * {@code hidden_states_penultimate} is {@code hidden_states[-2]}, {@code hidden_states_last}
     * {@code hidden_states[-1]}, {@code hidden_states_<i>} {@code hidden_states[i]}.
     */
    static Integer featureLayer(String output) {
        if (output.equals("hidden_states_penultimate")) {
            return -2;
        }
        if (output.equals("hidden_states_last")) {
            return -1;
        }
        if (output.matches("hidden_states_-?\\d+")) {
            return Integer.parseInt(output.substring("hidden_states_".length()));
        }
        return null;
    }
}
