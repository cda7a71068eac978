package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.mix4j.llm.tokenizer.ChatTemplateException;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.ChatSession;
import org.mix4j.pipelines.text.TextPipeline;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code mix chat PIPELINE.yaml}: an interactive conversation on standard input, replies streamed. */
@Extension
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a text pipeline (task: text). Reads one message per line; /reset clears the "
                + "conversation, /exit (or end of input) quits.")
public final class ChatCommand implements Callable<Integer>, CliCommand {

    @Mixin
    TextOptions options = new TextOptions();

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        PipelineConfig config = options.config(context.runtime().registry());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (NDManager manager = NDManager.newBaseManager(config.device());
                TextPipeline pipeline = TextPipeline.load(config, context.runtime().loader(), manager)) {
            ChatSession chat = pipeline.chat(pipeline.settings());
            context.err().println("chat ready (" + String.format("%.1f", pipeline.loadSeconds())
                    + " s to load); /reset clears, /exit quits");
            context.err().flush();
            while (true) {
                context.out().print("> ");
                context.out().flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    break;
                }
                if (line.strip().equals("/reset")) {
                    chat.reset();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                DecodeResult r;
                try {
                    r = chat.send(line, (row, text) -> {
                        context.out().print(text);
                        context.out().flush();
                    });
                } catch (IllegalArgumentException | ChatTemplateException e) {
                    context.err().println("error: " + e.getMessage()); // this turn only; the chat goes on
                    context.err().flush();
                    continue;
                }
                context.out().println();
                if (options.stats) {
                    TextOptions.printStats(context.err(), pipeline, r);
                }
            }
        }
        return 0;
    }
}
