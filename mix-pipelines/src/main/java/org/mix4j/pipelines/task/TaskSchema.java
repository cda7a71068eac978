package org.mix4j.pipelines.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigBinder;

/**
 * What a pipeline of one {@code task:} is made of: its component slots (YAML key -> role), which
 * of them are required, and the record its other top-level keys bind to.
 */
public record TaskSchema(String task, Map<String, Role> slots, Set<String> required,
        Class<? extends Record> settingsType) {

    public TaskSchema {
        slots = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(slots));
        required = Set.copyOf(required);
    }

    /** Top-level keys every pipeline accepts. */
    public static final List<String> COMMON_KEYS = List.of("task", "checkpoint", "dtype", "quantize", "device", "training");

    /** Every top-level key this task accepts. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>(COMMON_KEYS);
        keys.addAll(slots.keySet());
        keys.addAll(ConfigBinder.keys(settingsType));
        return keys;
    }
}
