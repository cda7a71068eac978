package org.mix4j.llm.tokenizer;

/**
 * Keeps DJL's tokenizers library off the network: in offline mode it takes the native library
 * bundled in its jar (never a CUDA build download) and skips its EC2 telemetry call. An explicit
 * {@code DJL_OFFLINE} or {@code ai.djl.offline} setting is respected.
 */
final class Offline {

    private Offline() {}

    static void ensure() {
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }
}
