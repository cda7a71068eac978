package org.mix4j.pipelines.text;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import org.mix4j.api.ProgressListener;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.Answers;
import org.mix4j.pipelines.task.JsonlRequests;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
import org.pf4j.Extension;

/** {@code mix run} for {@code task: text}: one reply per {@code --prompt}, batched; a single one is streamed. */
@Extension
public final class TextTaskRunner implements TaskRunner {

    @Override
    public String task() {
        return "text";
    }

    @Override
    public int run(PipelineConfig config, RunOptions options, ComponentLoader loader, PrintWriter out, PrintWriter err,
            ProgressListener progress) throws IOException {
        if (options.input() != null) {
            try (NDManager manager = NDManager.newBaseManager(config.device());
                    TextPipeline pipeline = TextPipeline.load(config, loader, manager)) {
                return JsonlRequests.run(options.input(), pipeline.settings(), (prompt, images, s) -> {
                    if (!images.isEmpty()) {
                        throw new IllegalArgumentException("task: text takes no images");
                    }
                    return pipeline.generate(prompt, s, (row, text) -> {});
                }, out);
            }
        }
        if (options.prompt() == null) {
            throw new ConfigException("command line", 0, 0, "--prompt", "task: text needs --prompt or --input", null);
        }
        try (NDManager manager = NDManager.newBaseManager(config.device());
                TextPipeline pipeline = TextPipeline.load(config, loader, manager)) {
            if (options.printPrompt()) {
                options.prompts().forEach(p -> out.println(pipeline.renderPrompt(p)));
                out.flush();
                return 0;
            }
            DecodeResult r = pipeline.generateAll(options.prompts(), pipeline.settings(), Answers.streamer(options, out));
            Answers.print(options, r, out);
            if (options.stats()) {
                err.printf("[load %.2f s | prefill %d tokens, %.1f tokens/s | decode %d tokens, %.1f tokens/s]%n",
                        pipeline.loadSeconds(), r.promptTokens(), r.prefillTokensPerSecond(), r.generatedTokens(),
                        r.decodeTokensPerSecond());
                err.flush();
            }
        }
        return 0;
    }
}
