package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA file read as low-rank adapters of one loaded model's linears, at scale 1 (each adapter's
 * scaling is the file's {@code alpha / rank}), for per-call use through {@link CallAdapters}. The
 * factors live in their own manager: closing this frees them and leaves the model as it was.
 */
public final class LoraUpdate implements AutoCloseable {

    private final String source;
    private final Map<Linear, List<Linear.Adapter>> adapters;
    private final NDManager manager;
    private final long bytes;

    /** @param manager holds the factors of {@code adapters}; closed with this */
    public LoraUpdate(String source, Map<Linear, List<Linear.Adapter>> adapters, NDManager manager) {
        adapters.forEach((linear, list) -> list.forEach(linear::check));
        this.source = source;
        this.adapters = new IdentityHashMap<>(adapters);
        this.manager = manager;
        long sum = 0;
        for (List<Linear.Adapter> list : adapters.values()) {
            for (Linear.Adapter a : list) {
                sum += nbytes(a.a()) + nbytes(a.b());
            }
        }
        this.bytes = sum;
    }

    private static long nbytes(NDArray a) {
        return a.getShape().size() * a.getDataType().getNumOfBytes();
    }

    /** The adapters with {@code scale} applied (the LoRA's multiplier; 0 changes nothing). */
    public Map<Linear, List<Linear.Adapter>> scaled(double scale) {
        Map<Linear, List<Linear.Adapter>> out = new IdentityHashMap<>();
        adapters.forEach((linear, list) -> out.put(linear, list.stream()
                .map(a -> new Linear.Adapter(a.from(), a.to(), a.a(), a.b(), a.scaling() * scale)).toList()));
        return out;
    }

    /** The file it was read from. */
    public String source() {
        return source;
    }

    /** How many linears it adapts. */
    public int modules() {
        return adapters.size();
    }

    /** Native bytes of its factors. */
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        manager.close();
    }
}
