package org.mix4j.api;

import java.util.Locale;

/** The building-block roles a pipeline is composed of. */
public enum Role {
    IMAGE_PROCESSOR(ImageProcessor.class),
    VISION_ENCODER(VisionEncoder.class),
    TEXT_ENCODER(TextEncoder.class),
    CONNECTOR(Connector.class),
    LANGUAGE_MODEL(LanguageModel.class),
    TOKENIZER(Tokenizer.class),
    DENOISER(Denoiser.class),
    CONTROLNET(ControlNet.class),
    AUTOENCODER(Autoencoder.class),
    SCHEDULER(Scheduler.class),
    TILER(Tiler.class);

    private final Class<?> type;

    Role(Class<?> type) {
        this.type = type;
    }

    /** The interface a component of this role implements. */
    public Class<?> type() {
        return type;
    }

    /** snake_case name as printed by {@code mix components}. */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
