package org.mix4j.serve;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;

/** A served chat model that takes {@code millis} per streamed piece and keeps its last result, for timing-dependent tests. */
final class SlowModel implements ServedModel, ServedModel.Chat {

    final CountDownLatch started = new CountDownLatch(1);
    volatile DecodeResult last;
    private final ServedModel model;
    private final long millis;

    SlowModel(ServedModel model, long millis) {
        this.model = model;
        this.millis = millis;
    }

    @Override
    public String task() {
        return model.task();
    }

    @Override
    public Chat chat() {
        return this;
    }

    @Override
    public boolean acceptsImages() {
        return model.chat().acceptsImages();
    }

    @Override
    public DecodingSettings defaults() {
        return model.chat().defaults();
    }

    @Override
    public long bytes() {
        return model.bytes();
    }

    @Override
    public DecodeResult complete(List<Message> conversation, DecodingSettings settings, TextStreamer streamer,
            BooleanSupplier cancelled) {
        started.countDown();
        last = model.chat().complete(conversation, settings, (row, text) -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (streamer != null) {
                streamer.onText(row, text);
            }
        }, cancelled);
        return last;
    }

    @Override
    public void close() {
        model.close();
    }
}
