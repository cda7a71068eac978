package org.mix4j.data.filter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mix4j.api.RgbImage;
import org.mix4j.data.records.Sample;

/** The rules that look at a sample's pictures. A sample without local images passes them. */
public final class ImageRules {

    private ImageRules() {}

    /** Drops a sample any of whose images is missing or cannot be decoded. */
    public record Decodable() implements Rule {
        @Override
        public String name() {
            return "decodable";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            return images.all().stream().filter(d -> d.error() != null).findFirst()
                    .map(d -> Verdict.drop("image undecodable: " + d.error()))
                    .orElse(Verdict.keep(sample));
        }
    }

    /** Drops a sample with an image whose shorter side is under {@code pixels}. */
    public record MinSide(int pixels) implements Rule {
        @Override
        public String name() {
            return "min_side";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            for (RgbImage i : images.ok()) {
                if (Math.min(i.width(), i.height()) < pixels) {
                    return Verdict.drop("short side " + Math.min(i.width(), i.height()) + " < " + pixels);
                }
            }
            return Verdict.keep(sample);
        }
    }

    /** Drops a sample with an image longer than {@code ratio} times its width (or wider than tall). */
    public record MaxAspect(double ratio) implements Rule {
        @Override
        public String name() {
            return "max_aspect";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            for (RgbImage i : images.ok()) {
                double aspect = (double) Math.max(i.width(), i.height()) / Math.min(i.width(), i.height());
                if (aspect > ratio) {
                    return Verdict.drop(String.format(Locale.ROOT, "aspect ratio %.2f > %s", aspect, ratio));
                }
            }
            return Verdict.keep(sample);
        }
    }

    /**
     * Drops a sample with an image within {@code distance} bits (perceptual hash) of an image of an
     * earlier kept sample. The hashes are found through {@code distance + 1} exact-match tables of
     * bands of the hash (two hashes that close agree on at least one band), so each look-up costs a
     * few bucket scans, not a pass over every earlier image; memory grows by a few words an image.
     */
    public static final class NearDuplicate implements Rule {
        private final int distance;
        private final int bands;
        private final List<Map<Long, List<Long>>> tables = new ArrayList<>();

        public NearDuplicate(int distance) {
            if (distance < 0 || distance > 15) {
                throw new IllegalArgumentException("near_duplicate: Hamming distance must be 0 to 15 bits of 64, got "
                        + distance);
            }
            this.distance = distance;
            this.bands = distance + 1;
            for (int b = 0; b < bands; b++) {
                tables.add(new HashMap<>());
            }
        }

        @Override
        public String name() {
            return "near_duplicate";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            String reason = admit(hashes(images));
            return reason == null ? Verdict.keep(sample) : Verdict.drop(reason);
        }

        /** The perceptual hashes of a sample's decodable images. */
        public static List<Long> hashes(SampleImages images) {
            return images.ok().stream().map(PerceptualHash::of).toList();
        }

        /**
         * Why a sample with these image hashes is a near-duplicate of an earlier kept one, or
         * {@code null} when it is kept (its hashes then remembered): the rule without the decoding,
         * for a Spark driver that runs it over hashes computed on the executors, in input order.
         */
        public String admit(List<Long> hashes) {
            for (long h : hashes) {
                int nearest = nearest(h);
                if (nearest <= distance) {
                    return "near-duplicate image (perceptual hash " + nearest + " bits from an earlier one)";
                }
            }
            hashes.forEach(this::add);
            return null;
        }

        private int nearest(long h) {
            int best = Integer.MAX_VALUE;
            for (int b = 0; b < bands; b++) {
                for (long other : tables.get(b).getOrDefault(band(h, b), List.of())) {
                    best = Math.min(best, PerceptualHash.distance(h, other));
                }
            }
            return best;
        }

        private void add(long h) {
            for (int b = 0; b < bands; b++) {
                tables.get(b).computeIfAbsent(band(h, b), k -> new ArrayList<>(1)).add(h);
            }
        }

        /** Band {@code b} of {@code bands} nearly equal runs of the 64 bits, tagged with its length. */
        private long band(long h, int b) {
            int from = 64 * b / bands;
            int to = 64 * (b + 1) / bands;
            long mask = to - from == 64 ? -1L : ((1L << (to - from)) - 1);
            return (h >>> from) & mask;
        }
    }
}
