package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.YamlLoader;
import org.mix4j.serve.MixServer;
import org.mix4j.serve.PipelineModels;
import org.mix4j.serve.ServeConfig;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mix serve SERVER.yaml}: the OpenAI-compatible server ({@code mix-serve}). A pipeline YAML
 * or {@code --model DIR} instead serves that one model, named after its file or folder. Runs until
 * the process is stopped (Ctrl-C, SIGTERM), then drains the running requests.
 */
@Extension
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve text and understanding pipelines over an OpenAI-compatible HTTP API "
                + "(POST /v1/chat/completions, GET /v1/models, /health, /metrics); see docs/serving.md.")
public final class ServeCommand implements Callable<Integer>, CliCommand {

    @Parameters(arity = "0..1", paramLabel = "SERVER.yaml|PIPELINE.yaml",
            description = "A server YAML (models:, limits:, ...) or one pipeline YAML to serve.")
    Path yaml;

    @Option(names = "--model", paramLabel = "DIR", description = "Serve one checkpoint folder (as mix run --model).")
    Path model;

    @Option(names = "--port", paramLabel = "N", description = "Overrides port: (default 8000; 0 picks a free one).")
    Integer port;

    @Option(names = "--host", paramLabel = "H", description = "Overrides host: (default 127.0.0.1, this machine only).")
    String host;

    private CliContext context;
    private volatile MixServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws InterruptedException {
        ServeConfig config = config();
        if (port != null || host != null) {
            if (port != null && (port < 0 || port > 65_535)) {
                throw new ConfigException(Origin.of("--port"), "", "must be in 0..65535, got " + port, null);
            }
            config = config.withAddress(host != null ? host : config.host(), port != null ? port : config.port());
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            PipelineModels models = new PipelineModels(config, context.runtime().loader(), manager);
            for (String name : config.models().keySet()) {
                models.config(name); // a broken pipeline YAML fails now, not at the first request
            }
            server = new MixServer(config, models).start();
            Thread hook = new Thread(() -> {
                context.err().println("stopping: draining running requests");
                context.err().flush();
                stop();
            }, "mix-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            context.err().println("mix serve: http://" + config.host() + ":" + server.port() + "/v1 serving "
                    + String.join(", ", config.models().keySet()) + (config.apiKeys().isEmpty() ? "" : " (API keys required)"));
            context.err().flush();
            stopped.await();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is what stopped us
            }
        }
        return 0;
    }

    /** The running server, once started. */
    MixServer server() {
        return server;
    }

    /** Stops serving: drains running requests, closes the models; {@link #call()} then returns. */
    void stop() {
        MixServer s = server;
        if (s != null && stopped.getCount() > 0) {
            s.stop();
        }
        stopped.countDown();
    }

    /** The server YAML, or a server of one model for a pipeline YAML or {@code --model DIR}. */
    private ServeConfig config() {
        if ((yaml == null) == (model == null)) {
            throw new ConfigException(Origin.of("command line"), "SERVER.yaml", "give a server or pipeline YAML, or "
                    + "--model DIR", null);
        }
        if (model != null) {
            return ServeConfig.single(name(model), new ServeConfig.ModelEntry(null, model.toAbsolutePath().normalize()));
        }
        if (!Files.isRegularFile(yaml)) {
            throw new ConfigException(Origin.of("command line"), "SERVER.yaml", "no such file: " + yaml, null);
        }
        // a pipeline YAML has task:, a server YAML has models:
        if (new YamlLoader().load(yaml).get("task") instanceof Scalar) {
            return ServeConfig.single(name(yaml), new ServeConfig.ModelEntry(yaml.toAbsolutePath().normalize(), null));
        }
        return ServeConfig.load(yaml);
    }

    /** A model's name: its folder's or file's name without {@code .yaml}. */
    static String name(Path path) {
        String file = path.toAbsolutePath().normalize().getFileName().toString();
        return file.replaceFirst("\\.ya?ml$", "").replaceAll("[^A-Za-z0-9._:-]", "-");
    }
}
