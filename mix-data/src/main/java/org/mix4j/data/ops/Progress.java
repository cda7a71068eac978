package org.mix4j.data.ops;

/** Where a streaming run tells how far it is through its input (bytes, so an ETA can be given). */
public interface Progress {

    /** No progress shown. */
    Progress NONE = (done, total, records) -> {};

    /** @param done bytes read of {@code total}; {@code records} read so far */
    void update(long done, long total, long records);
}
