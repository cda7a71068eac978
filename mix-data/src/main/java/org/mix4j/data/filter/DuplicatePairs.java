package org.mix4j.data.filter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.Set;
import org.mix4j.data.records.Sample;
import org.mix4j.records.RecordPaths;

/**
 * Drops a sample whose (images, text) pair is the same as an earlier kept one: the same image files
 * (resolved paths) and the same text after the rewriting rules. Kept pairs are remembered as 128-bit
 * digests (SHA-256, truncated), so memory grows by a few dozen bytes a sample. On Spark the
 * {@link #key} groups the samples and the first of each group by input order is kept.
 */
public final class DuplicatePairs implements Rule {

    /** A pair's digest: equal keys, equal pairs (up to a 2^-128 chance). */
    public record Key(long high, long low) implements java.io.Serializable {}

    /** Why a repeated pair is dropped. */
    public static final String REASON = "duplicate (image, text) pair";

    private final Set<Key> seen = new HashSet<>();

    @Override
    public String name() {
        return "dedup";
    }

    @Override
    public Verdict apply(Sample sample, SampleImages images) {
        return seen.add(key(sample)) ? Verdict.keep(sample) : Verdict.drop(REASON);
    }

    /** The pair's key: the resolved image files and the messages' roles and text. */
    public static Key key(Sample s) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String image : s.images()) {
                String file = RecordPaths.isUrl(image) ? image : RecordPaths.resolve(image, Path.of(s.base())).toString();
                sha.update(file.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            for (Sample.Turn t : s.turns()) {
                sha.update(t.role().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 1);
                sha.update(t.text().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            ByteBuffer digest = ByteBuffer.wrap(sha.digest());
            return new Key(digest.getLong(), digest.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
