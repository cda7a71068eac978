package org.mix4j.plugins.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;

/**
 * A UNet or DiT shipped as TorchScript, called as {@code forward(*inputs)} with the arguments the
 * YAML lists ({@code sample}, {@code timestep}, {@code encoder_hidden_states}).
 */
final class TorchScriptDenoiser implements Denoiser {

    static final String TYPE = "denoiser";

    private final TorchScriptDenoiserConfig config;
    private final TorchScriptModule module;

    TorchScriptDenoiser(TorchScriptDenoiserConfig config, TorchScriptModule module) {
        this.config = config;
        this.module = module;
    }

    @Override
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, DenoiserResiduals residuals) {
        if (residuals != null) {
            throw new UnsupportedOperationException("torchscript:denoiser " + module.file().getFileName()
                    + " takes no ControlNet residuals: a traced module has a fixed signature");
        }
        NDManager caller = sample.getManager();
        try (NDManager scope = caller.newSubManager()) {
            NDList args = new NDList();
            for (String name : config.inputs()) {
                NDArray raw = switch (name) {
                    case "sample" -> sample;
                    case "timestep" -> timestep;
                    default -> require(encoderHiddenStates);
                };
                raw.tempAttach(scope); // conversions and outputs then live in the scope; inputs go back to their owners
                boolean asInt = name.equals("timestep")
                        && config.timestepDtype() == TorchScriptDenoiserConfig.TimestepType.INT64;
                args.add(raw.toType(asInt ? DataType.INT64 : DataType.FLOAT32, false));
            }
            NDArray out = module.forward(args).head();
            if (!out.getShape().equals(sample.getShape())) {
                throw new IllegalArgumentException("torchscript:denoiser " + module.file().getFileName() + " returned "
                        + out.getShape() + " for a sample of " + sample.getShape() + "; a denoiser returns the sample's shape");
            }
            out.attach(caller);
            return out;
        }
    }

    private NDArray require(NDArray encoderHiddenStates) {
        if (encoderHiddenStates == null) {
            throw new IllegalArgumentException("torchscript:denoiser " + module.file().getFileName()
                    + " lists encoder_hidden_states in its inputs but none was given");
        }
        return encoderHiddenStates;
    }

    @Override
    public int inChannels() {
        return config.inChannels();
    }

    @Override
    public int sampleSize() {
        return config.sampleSize();
    }

    @Override
    public void close() {
        module.close();
    }
}
