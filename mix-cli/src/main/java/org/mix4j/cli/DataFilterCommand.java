package org.mix4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.YamlLoader;
import org.mix4j.data.filter.FilterSettings;
import org.mix4j.data.filter.SampleFilter;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mix data filter}: rules from a YAML file and flags, each counting what it removed and why. */
@Command(name = "filter", mixinStandardHelpOptions = true,
        description = "Filter samples by rules (from --rules FILE and/or the flags below; a flag overrides the file). "
                + "Masking and stripping rewrite text, the others drop samples; the report counts each rule's work.")
final class DataFilterCommand extends DataToolCommand.InOut {

    @Option(names = "--rules", paramLabel = "YAML", description = "Rules file: the flags' names in snake_case "
            + "(min_side: 64, mask_personal: true, clip_pipeline: retrieval.yaml); paths relative to it.")
    Path rulesFile;

    @Option(names = "--strip-urls", description = "Remove URLs from the text.")
    Boolean stripUrls;

    @Option(names = "--boilerplate-file", paramLabel = "FILE", description = "Phrases to remove, one a line.")
    Path boilerplateFile;

    @Option(names = "--mask-words", paramLabel = "FILE", description = "Word list (one a line): occurrences become *s.")
    Path maskWords;

    @Option(names = "--mask-personal", description = "Mask e-mails, phone numbers and Chinese ID numbers.")
    Boolean maskPersonal;

    @Option(names = "--min-chars", paramLabel = "N", description = "Drop samples whose answers (a caption) are shorter than N characters.")
    Integer minChars;

    @Option(names = "--max-chars", paramLabel = "N", description = "Drop samples whose answers are longer than N characters.")
    Integer maxChars;

    @Option(names = "--min-cjk-ratio", paramLabel = "R", description = "Drop answers whose CJK share of letters is below R.")
    Double minCjkRatio;

    @Option(names = "--max-cjk-ratio", paramLabel = "R", description = "Drop answers whose CJK share of letters is above R.")
    Double maxCjkRatio;

    @Option(names = "--dedup", description = "Drop repeated (image, text) pairs.")
    Boolean dedup;

    @Option(names = "--decodable", description = "Drop samples with a missing or undecodable image.")
    Boolean decodable;

    @Option(names = "--min-side", paramLabel = "PX", description = "Drop images whose shorter side is under PX.")
    Integer minSide;

    @Option(names = "--max-aspect", paramLabel = "R", description = "Drop images with long/short side above R.")
    Double maxAspect;

    @Option(names = "--near-duplicate", paramLabel = "BITS",
            description = "Drop images within BITS (0-15 of 64) perceptual-hash bits of an earlier kept one.")
    Integer nearDuplicate;

    @Option(names = "--clip-pipeline", paramLabel = "YAML", description = "A task: retrieval pipeline for the CLIP score.")
    Path clipPipeline;

    @Option(names = "--min-clip-score", paramLabel = "S", description = "Drop pairs under this CLIP score (default 0.3).")
    Double minClipScore;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        FilterSettings settings = settings();
        DataRun run = io.run(context, in);
        try (SampleFilter filter = new SampleFilter(settings.rules(settings.clipPipeline() == null ? null
                : context.runtime().loader()))) {
            RunReport r = run.transform(in, out, filter::apply, new RunReport("filter"));
            r.rules(filter.counts());
            io.finish(context, r, String.format(Locale.ROOT, "kept %d of %d samples into %s in %.1f s", r.written(),
                    r.json().getAsJsonObject("inputs").get(in.toString()).getAsLong(), out,
                    (System.nanoTime() - start) / 1e9));
            filter.counts().stream().filter(c -> c.removed() + c.changed() > 0).forEach(c -> context.out().printf(
                    Locale.ROOT, "  %-15s removed %d, rewrote %d%n", c.rule(), c.removed(), c.changed()));
            context.out().flush();
        }
        return 0;
    }

    /** The rules file with the flags over it, bound (errors name the file:line or the flag). */
    FilterSettings settings() {
        MapNode tree = rulesFile == null ? new MapNode(java.util.Map.of(), java.util.Map.of(), Origin.of("command line"))
                : new YamlLoader().load(rulesFile);
        ConfigOverrides flags = new ConfigOverrides();
        flags.set("strip_urls", stripUrls, "--strip-urls")
                .set("boilerplate_file", absolute(boilerplateFile), "--boilerplate-file")
                .set("mask_words", absolute(maskWords), "--mask-words")
                .set("mask_personal", maskPersonal, "--mask-personal")
                .set("min_chars", minChars, "--min-chars")
                .set("max_chars", maxChars, "--max-chars")
                .set("min_cjk_ratio", minCjkRatio, "--min-cjk-ratio")
                .set("max_cjk_ratio", maxCjkRatio, "--max-cjk-ratio")
                .set("dedup", dedup, "--dedup")
                .set("decodable", decodable, "--decodable")
                .set("min_side", minSide, "--min-side")
                .set("max_aspect", maxAspect, "--max-aspect")
                .set("near_duplicate", nearDuplicate, "--near-duplicate")
                .set("clip_pipeline", absolute(clipPipeline), "--clip-pipeline")
                .set("min_clip_score", minClipScore, "--min-clip-score");
        FilterSettings s = ConfigBinder.bind(FilterSettings.class, flags.applyTo(tree), "rules");
        return rulesFile == null ? s : s.resolvedAgainst(rulesFile.toAbsolutePath().getParent());
    }

    private static String absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().toString();
    }
}
