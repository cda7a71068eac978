package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.terminal.TerminalBuilder;
import org.mix4j.api.RgbImage;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.chat.ChatSession;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mix chat PIPELINE.yaml}: a conversation with a text or understanding pipeline. On a
 * terminal, lines are edited with JLine and kept in a history file; from a pipe, one message a line.
 */
@Extension
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a text or understanding pipeline (task: text or understanding). Reads one message "
                + "per line; /help lists the commands (/system, /reset, /image PATH, /exit); Ctrl-C stops an answer. "
                + "The model's KV cache is kept between turns; the oldest turns are dropped when the context is full.")
public final class ChatCommand implements Callable<Integer>, CliCommand {

    @Mixin
    TextOptions options = new TextOptions();

    @Option(names = "--image", paramLabel = "PATH", description = "An image sent with the first message (repeatable).")
    List<Path> images = new ArrayList<>();

    @Option(names = "--context", paramLabel = "N", description = "Positions the conversation may use (default "
            + ChatSession.DEFAULT_CONTEXT + ", at most the model's); the KV cache is this large.")
    Integer contextSize;

    @Option(names = "--history", paramLabel = "FILE",
            description = "Where a terminal session keeps its input history (default ~/.mix/chat_history).")
    Path history;

    @Option(names = "--no-history", description = "Keep no input history on disk.")
    boolean noHistory;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        if (contextSize != null && contextSize < 2) {
            throw new ConfigException(Origin.of("command line"), "--context", "must be at least 2, got " + contextSize, null);
        }
        PipelineConfig config = options.config(context.runtime().registry());
        boolean understanding = config.task().equals(Tasks.UNDERSTANDING.task());
        if (!understanding && !config.task().equals(Tasks.TEXT.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "mix chat talks to task: text or "
                    + "understanding pipelines, not '" + config.task() + "'", List.of("text", "understanding"));
        }
        List<RgbImage> first = new ArrayList<>();
        for (Path p : images) {
            first.add(ImageDecoder.readRgb(p));
        }
        if (!first.isEmpty() && !understanding) {
            throw new ConfigException(Origin.of("command line"), "--image", "a task: text pipeline takes no images", null);
        }
        int size = contextSize != null ? contextSize : ChatSession.DEFAULT_CONTEXT;
        try (NDManager manager = NDManager.newBaseManager(config.device())) {
            if (understanding) {
                try (UnderstandingPipeline pipeline = UnderstandingPipeline.load(config, context.runtime().loader(), manager);
                        ChatSession chat = pipeline.chat(pipeline.generation(), size)) {
                    converse(chat, true, pipeline.loadSeconds(), first);
                }
            } else {
                try (TextPipeline pipeline = TextPipeline.load(config, context.runtime().loader(), manager);
                        ChatSession chat = pipeline.chat(pipeline.settings(), size)) {
                    converse(chat, false, pipeline.loadSeconds(), first);
                }
            }
        }
        return 0;
    }

    private void converse(ChatSession chat, boolean acceptsImages, double loadSeconds, List<RgbImage> first)
            throws IOException {
        context.err().println("chat ready (" + String.format("%.1f", loadSeconds) + " s to load, context "
                + chat.context() + " tokens); /help lists the commands, /exit quits");
        context.err().flush();
        try (ChatInput input = input()) {
            ChatLoop loop = new ChatLoop(chat, input, context.out(), context.err(), acceptsImages,
                    reply -> {
                        if (options.stats) {
                            TextOptions.printStats(context.err(), loadSeconds, reply.result());
                        }
                    });
            loop.attach(first);
            loop.run();
        }
    }

    /** JLine on a terminal; plain lines when standard input or output is redirected. */
    private ChatInput input() throws IOException {
        if (System.console() == null) {
            return new ChatInput.Plain(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                    context.out());
        }
        Path file = null;
        if (!noHistory) {
            file = history != null ? history : Path.of(System.getProperty("user.home"), ".mix", "chat_history");
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        return new TerminalChatInput(TerminalBuilder.builder().system(true).build(), file);
    }
}
