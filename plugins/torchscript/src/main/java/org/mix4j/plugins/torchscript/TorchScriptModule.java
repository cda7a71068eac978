package org.mix4j.plugins.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One TorchScript archive ({@code torch.jit.trace} / {@code torch.jit.script} + {@code torch.jit.save})
 * run through DJL's PyTorch engine. Only DJL's api is used: the engine is the host's, found by name,
 * and a local file is loaded, so nothing is ever downloaded.
 */
final class TorchScriptModule implements AutoCloseable {

    private static final String ENGINE = "PyTorch";

    private final Model model;
    private final Path file;

    private TorchScriptModule(Model model, Path file) {
        this.model = model;
        this.file = file;
    }

    /**
     * @param file the archive, already resolved against the component directory
     * @param type the YAML type, for messages
     */
    static TorchScriptModule load(Path file, Device device, String type) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(type + ": TorchScript file " + file + " does not exist (key 'file' is "
                    + "relative to the component directory: the checkpoint, or its 'path:' / 'weights:')");
        }
        if (!Engine.hasEngine(ENGINE)) {
            throw new IllegalStateException(type + " needs DJL's PyTorch engine (ai.djl.pytorch:pytorch-engine) on "
                    + "the host classpath; engines present: " + Engine.getAllEngines());
        }
        String name = file.getFileName().toString().replaceFirst("\\.pt$", "");
        Model model = Model.newInstance(name, device, ENGINE);
        try {
            model.load(file);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IllegalArgumentException(type + ": cannot load TorchScript file " + file + ": " + e.getMessage(), e);
        }
        return new TorchScriptModule(model, file);
    }

    /**
     * Runs {@code forward(*inputs)}. The outputs belong to the manager of the first input (DJL's
     * PyTorch engine attaches them there).
     */
    NDList forward(NDList inputs) {
        try {
            return model.getBlock().forward(new ParameterStore(inputs.head().getManager(), false), inputs, false);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("TorchScript " + file.getFileName() + " failed on inputs "
                    + shapes(inputs) + ": " + firstLine(e.getMessage()), e);
        }
    }

    Path file() {
        return file;
    }

    static String shapes(NDList list) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(list.get(i).getShape()).append(' ').append(list.get(i).getDataType());
        }
        return sb.append(']').toString();
    }

    /** TorchScript errors carry the whole interpreter trace; its first lines say what went wrong. */
    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String[] lines = message.strip().split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(lines.length, 3); i++) {
            sb.append(i == 0 ? "" : " | ").append(lines[i].strip());
        }
        return sb.toString();
    }

    /** Resolves {@code file} against the component directory (a file there stands for its folder). */
    static Path resolve(String file, Path directory, String type) {
        Path f = Path.of(file);
        if (f.isAbsolute()) {
            return f;
        }
        if (directory == null) {
            throw new IllegalArgumentException(type + ": file '" + file + "' is relative but the component has no "
                    + "directory: set the pipeline's 'checkpoint:', the section's 'path:', or an absolute file");
        }
        Path base = Files.isRegularFile(directory) ? directory.getParent() : directory;
        return base.resolve(f);
    }

    @Override
    public void close() {
        model.close();
    }
}
