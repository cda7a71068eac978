package org.mix4j.spark;

import ai.djl.ndarray.NDManager;
import org.mix4j.MixRuntime;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;

/**
 * One pipeline loaded in an executor JVM, shared by every task and partition that runs there
 * ({@link PipelineCache}). The pipelines are safe to call from several threads at once (per-call
 * state, as {@code mix serve} relies on), so concurrent tasks of one executor share it.
 *
 * @param model the task's pipeline: {@link RetrievalPipeline}, {@link UnderstandingPipeline},
 *     {@link TextPipeline} or {@link StableDiffusionPipeline}
 */
record LoadedPipeline(PipelineConfig config, MixRuntime runtime, NDManager manager, Object model) {

    static LoadedPipeline load(PipelineConfig config, MixRuntime runtime) {
        ComponentLoader loader = runtime.loader();
        NDManager manager = NDManager.newBaseManager(config.device());
        try {
            Object model = switch (config.task()) {
                case "retrieval" -> RetrievalPipeline.load(config, loader, manager);
                case "understanding" -> UnderstandingPipeline.load(config, loader, manager);
                case "text" -> TextPipeline.load(config, loader, manager);
                case "generation" -> new StableDiffusionPipeline(GenerationComponents.load(config, loader, manager));
                default -> throw new IllegalArgumentException(config.file() + ": task '" + config.task()
                        + "' has no batch inference (retrieval, understanding, text, generation)");
            };
            return new LoadedPipeline(config, runtime, manager, model);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    <T> T model(Class<T> type) {
        return type.cast(model);
    }
}
