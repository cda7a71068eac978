package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/** The request builder takes its defaults and its checks from {@link DiffusionSettings}, nowhere else. */
class GenerationRequestTest {

    @Test
    void anUnsetBuilderHasTheSettingsRecordsDefaults() {
        GenerationRequest r = GenerationRequest.builder().prompt("a cat").build();
        DiffusionSettings d = DiffusionSettings.DEFAULTS;
        assertEquals(d.numInferenceSteps(), r.steps);
        assertEquals(d.guidanceScale(), r.guidanceScale);
        assertEquals(d.strength(), r.strength);
        assertEquals(d.controlnetConditioningScale(), r.controlScale);
        assertEquals(d.numImagesPerPrompt(), r.imagesPerPrompt);
        assertEquals(d.seed(), r.seed);
        assertNull(r.tiling);
        // and those are what an empty YAML section binds to
        DiffusionSettings empty = ConfigBinder.bind(DiffusionSettings.class,
                new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader("{}"), "empty.yaml"), "");
        assertEquals(empty, d);
        assertEquals(50, d.numInferenceSteps());
        assertEquals(7.5, d.guidanceScale());
    }

    @Test
    void theBuildersValuesAreCheckedByTheSettingsRecord() {
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> GenerationRequest.builder().prompt("x").steps(0).build());
        assertTrue(steps.getMessage().startsWith("num_inference_steps must be >= 1"), steps.getMessage());
        IllegalArgumentException guidance = assertThrows(IllegalArgumentException.class,
                () -> GenerationRequest.builder().prompt("x").guidanceScale(-1).build());
        assertTrue(guidance.getMessage().startsWith("guidance_scale must be >= 0"), guidance.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().prompt("x").size(-8, 8).build());
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().prompt("x").strength(1.5).build());
        assertThrows(IllegalArgumentException.class,
                () -> new DenoiseTiling("mosaic", 64, 8, false, 1));
        assertNull(GenerationRequest.builder().prompt("x").tiling(new DenoiseTiling("none", 64, 8, false, 1)).build().tiling);
    }
}
