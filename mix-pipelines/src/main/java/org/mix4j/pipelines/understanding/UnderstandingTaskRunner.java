package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.Answers;
import org.mix4j.pipelines.task.JsonlRequests;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
import org.pf4j.Extension;

/** {@code mix run} for {@code task: understanding}: one answer per {@code --prompt} about the same images, batched; a single one is streamed. */
@Extension
public final class UnderstandingTaskRunner implements TaskRunner {

    @Override
    public String task() {
        return "understanding";
    }

    @Override
    public int run(PipelineConfig config, RunOptions options, ComponentLoader loader, PrintWriter out, PrintWriter err,
            ProgressListener progress) throws IOException {
        if (options.input() != null) {
            try (NDManager manager = NDManager.newBaseManager(config.device());
                    UnderstandingPipeline pipeline = UnderstandingPipeline.load(config, loader, manager)) {
                return JsonlRequests.run(options.input(), pipeline.generation(), (prompt, images, s) -> pipeline.answer(
                        List.of(new UnderstandingPipeline.Request(images, prompt)), s, (row, text) -> {}), out);
            }
        }
        if (options.prompt() == null) {
            throw new ConfigException("command line", 0, 0, "--prompt", "task: understanding needs --prompt or --input", null);
        }
        List<RgbImage> images = new ArrayList<>();
        long decodeStart = System.nanoTime();
        for (Path p : options.images()) {
            images.add(ImageDecoder.readRgb(p)); // names the file when it is missing or cannot be decoded
        }
        long decodeNanos = System.nanoTime() - decodeStart;
        try (NDManager manager = NDManager.newBaseManager(config.device());
                UnderstandingPipeline pipeline = UnderstandingPipeline.load(config, loader, manager)) {
            if (options.printPrompt()) {
                options.prompts().forEach(p -> out.println(pipeline.renderPrompt(p, images.size())));
                out.flush();
                return 0;
            }
            List<UnderstandingPipeline.Request> requests = options.prompts().stream()
                    .map(p -> new UnderstandingPipeline.Request(images, p)).toList();
            UnderstandingPipeline.Answer answer = pipeline.answerWithStats(requests, pipeline.generation(),
                    Answers.streamer(options, out));
            DecodeResult r = answer.result();
            Answers.print(options, r, out);
            if (options.stats()) {
                UnderstandingPipeline.Stats st = answer.stats();
                err.printf("[load %.2f s | decode images %.2f s | vision (tile, preprocess, encode, project) %.2f s, "
                        + "%d image tokens | prefill %d tokens %.1f tokens/s | decode %d tokens %.1f tokens/s]%n",
                        st.loadNanos() / 1e9, decodeNanos / 1e9, st.visionNanos() / 1e9, st.imageTokens(),
                        r.promptTokens(), r.prefillTokensPerSecond(), r.generatedTokens(), r.decodeTokensPerSecond());
                err.flush();
            }
        }
        return 0;
    }
}
