package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.config.ConfigException;
import org.mix4j.config.JsonConfig;
import org.mix4j.registry.MixSettings;

/** Scheduler configs as YAML sees them: diffusers' keys accepted, bad values rejected with the valid ones. */
class SchedulerConfigTest {

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    private static Scheduler load(String type, Map<String, ?> yaml) {
        return runtime.loader().load(type, Role.SCHEDULER, null, yaml, manager, DataType.FLOAT32);
    }

    /** Every key of every fixture's scheduler_config.json, given as a YAML override, binds. */
    @TestFactory
    Stream<DynamicTest> everyKeyDiffusersWritesIsAValidYamlKey() throws IOException {
        Path root = Path.of(System.getProperty("mix.golden.dir"), "schedulers");
        List<Path> configs;
        try (Stream<Path> s = Files.walk(root)) {
            configs = s.filter(p -> p.getFileName().toString().equals("scheduler_config.json")).sorted().toList();
        }
        assertTrue(configs.size() >= 4, "fixtures under " + root);
        return configs.stream().map(file -> DynamicTest.dynamicTest(root.relativize(file).toString(), () -> {
            JsonObject json = JsonConfig.read(file);
            String type = SchedulerFactory.typeForDiffusersClass(runtime.registry(), json.get("_class_name").getAsString());
            Map<String, Object> yaml = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                if (!e.getKey().startsWith("_") && !e.getValue().isJsonNull()) {
                    yaml.put(e.getKey(), scalar(e.getValue()));
                }
            }
            Scheduler s = load(type, yaml);
            s.setTimesteps(4);
            assertEquals(4, s.timesteps().length);
        }));
    }

    private static Object scalar(JsonElement e) {
        if (e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        if (e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            return d == Math.rint(d) && Math.abs(d) < 1e15 && !e.getAsString().contains(".") ? (Object) (long) d : d;
        }
        return e.getAsString();
    }

    @Test
    void unknownBetaScheduleListsTheValidOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("ddim", Map.of("beta_schedule", "cosine")));
        assertTrue(e.getMessage().contains("beta_schedule"), e.getMessage());
        assertTrue(e.getMessage().contains("linear, scaled_linear, squaredcos_cap_v2"), e.getMessage());
    }

    @Test
    void unknownYamlKeyIsRejectedWithASuggestion() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("euler", Map.of("beta_shedule", "linear")));
        assertTrue(e.getMessage().contains("did you mean 'beta_schedule'"), e.getMessage());
    }

    @Test
    void unsupportedOptionsSayWhatIsValid() {
        ConfigException thresholding = assertThrows(ConfigException.class, () -> load("ddim", Map.of("thresholding", true)));
        assertTrue(thresholding.getMessage().contains("thresholding: false"), thresholding.getMessage());
        ConfigException order = assertThrows(ConfigException.class, () -> load("dpm_solver_pp", Map.of("solver_order", 3)));
        assertTrue(order.getMessage().contains("valid: 1, 2"), order.getMessage());
        ConfigException algorithm = assertThrows(ConfigException.class,
                () -> load("dpm_solver_pp", Map.of("algorithm_type", "sde-dpmsolver++")));
        assertTrue(algorithm.getMessage().contains("dpmsolver++"), algorithm.getMessage());
        ConfigException prediction = assertThrows(ConfigException.class, () -> load("lcm", Map.of("prediction_type", "x0")));
        assertTrue(prediction.getMessage().contains("epsilon, v_prediction, sample"), prediction.getMessage());
    }

    @Test
    void trainedBetasMustCoverEveryTrainingStep() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("ddim", Map.of("trained_betas", List.of(0.1, 0.2), "num_train_timesteps", 1000)));
        assertTrue(e.getMessage().contains("trained_betas has 2 values"), e.getMessage());
    }

    @Test
    void lambdaMinClippedTakesInfinityAsDiffusersWritesIt() {
        DpmSolverMultistepScheduler s = (DpmSolverMultistepScheduler) load("dpm_solver_pp", Map.of());
        assertEquals(Double.NEGATIVE_INFINITY, s.config().lambdaMin());
        DpmSolverMultistepScheduler clipped = (DpmSolverMultistepScheduler) load("dpm_solver_pp",
                Map.of("lambda_min_clipped", -5.1, "beta_schedule", "squaredcos_cap_v2"));
        clipped.setTimesteps(10);
        assertTrue(clipped.timesteps()[0] < 999, "clipping log-SNR below -5.1 drops the noisiest steps");
    }

    @Test
    void typeForDiffusersClassNamesTheSupportedClasses() {
        assertEquals("euler", SchedulerFactory.typeForDiffusersClass(runtime.registry(), "EulerDiscreteScheduler"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchedulerFactory.typeForDiffusersClass(runtime.registry(), "PNDMScheduler"));
        assertTrue(e.getMessage().contains("DDIMScheduler (ddim)"), e.getMessage());
    }
}
