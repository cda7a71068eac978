package org.mix4j.image;

import java.util.List;
import java.util.Locale;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * The keys of a Hugging Face {@code preprocessor_config.json} (CLIPImageProcessor,
 * SiglipImageProcessor). Keys whose default depends on the processor class are optional here and
 * resolved by the accessors below with that class's defaults.
 *
 * @param imageProcessorType {@code CLIPImageProcessor} (default) or {@code SiglipImageProcessor}
 * @param featureExtractorType older configs' name for the class ({@code CLIPFeatureExtractor})
 * @param size int, {@code [h, w]} or dict: CLIP {@code {shortest_edge: 224}}, SigLIP {@code {height: 224, width: 224}}
 * @param resample PIL filter code (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming) or name
 * @param doCenterCrop CLIP only (default true); SigLIP never crops
 * @param cropSize int, {@code [h, w]} or {@code {height, width}}; CLIP default 224
 * @param imageMean one value or one per channel; CLIP: OpenAI CLIP mean, SigLIP: 0.5
 * @param doConvertRgb accepted for compatibility: decoded images are always RGB already
 */
public record HfImageProcessorConfig(
        @OptionalKey String imageProcessorType,
        @OptionalKey String featureExtractorType,
        @Default("true") boolean doResize,
        @OptionalKey ConfigNode size,
        @Default("3") Object resample,
        @OptionalKey Boolean doCenterCrop,
        @OptionalKey ConfigNode cropSize,
        @Default("true") boolean doRescale,
        @Default("0.00392156862745098") double rescaleFactor,
        @Default("true") boolean doNormalize,
        @OptionalKey List<Double> imageMean,
        @OptionalKey List<Double> imageStd,
        @OptionalKey Boolean doConvertRgb) {

    /** The processor classes this config can describe. */
    public enum ProcessorClass { CLIP, SIGLIP }

    static final List<Double> OPENAI_CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    static final List<Double> OPENAI_CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);
    static final List<Double> IMAGENET_STANDARD = List.of(0.5, 0.5, 0.5);

    public HfImageProcessorConfig {
        // Resolve everything once so that a bad value fails at load time, naming its key. The
        // accessors cannot be used here: a compact constructor runs before the fields are set.
        ProcessorClass cls = classOf(imageProcessorType, featureExtractorType);
        sizeOf(cls, size);
        Resample.parse(resample);
        if (cropsOf(cls, doCenterCrop)) {
            cropOf(cropSize);
        }
        channels(imageMean, defaultMean(cls), "image_mean");
        for (float s : channels(imageStd, defaultStd(cls), "image_std")) {
            if (s == 0f) {
                throw new IllegalArgumentException("image_std must not contain 0");
            }
        }
    }

    public ProcessorClass processorClass() {
        return classOf(imageProcessorType, featureExtractorType);
    }

    /** The resize target: CLIP reads an int as the shortest edge, SigLIP needs height and width. */
    public SizeSpec sizeSpec() {
        return sizeOf(processorClass(), size);
    }

    public Resample filter() {
        return Resample.parse(resample);
    }

    public boolean centerCrop() {
        return cropsOf(processorClass(), doCenterCrop);
    }

    public SizeSpec cropSpec() {
        return cropOf(cropSize);
    }

    /** Per-channel mean as float32, the dtype the reference normalises in. */
    public float[] mean() {
        return channels(imageMean, defaultMean(processorClass()), "image_mean");
    }

    public float[] std() {
        return channels(imageStd, defaultStd(processorClass()), "image_std");
    }

    /** Whether non-RGB inputs are converted: CLIP by default, SigLIP only when set. */
    public boolean convertRgb() {
        return doConvertRgb != null ? doConvertRgb : processorClass() == ProcessorClass.CLIP;
    }

    private static ProcessorClass classOf(String imageProcessorType, String featureExtractorType) {
        String name = imageProcessorType != null ? imageProcessorType : featureExtractorType;
        if (name == null) {
            return ProcessorClass.CLIP;
        }
        return switch (name) {
            // LLaVA-NeXT / OneVision processors treat each tile as CLIP does; the grid is the tiler's job
            case "CLIPImageProcessor", "CLIPFeatureExtractor", "LlavaNextImageProcessor", "LlavaOnevisionImageProcessor"
                    -> ProcessorClass.CLIP;
            case "SiglipImageProcessor" -> ProcessorClass.SIGLIP;
            default -> throw new IllegalArgumentException("image_processor_type '" + name + "' is not supported; "
                    + "valid: CLIPImageProcessor (CLIPFeatureExtractor), SiglipImageProcessor, LlavaNextImageProcessor, "
                    + "LlavaOnevisionImageProcessor");
        };
    }

    private static SizeSpec sizeOf(ProcessorClass cls, ConfigNode size) {
        boolean clip = cls == ProcessorClass.CLIP;
        if (size == null) {
            return clip ? SizeSpec.shortestEdge(224) : SizeSpec.exact(224, 224);
        }
        // transformers reads an int size with default_to_square=False for both classes
        SizeSpec s = SizeSpec.parse(size, false, "size");
        if (clip ? s.shortestEdge() == 0 && !s.hasExactSize() : !s.hasExactSize()) {
            throw new IllegalArgumentException("size " + s + " is not usable by " + cls
                    + (clip ? ": give shortest_edge, or height and width" : ": give {height, width}"));
        }
        return s;
    }

    /** SigLIP has no crop step, whatever the config says. */
    private static boolean cropsOf(ProcessorClass cls, Boolean doCenterCrop) {
        return cls == ProcessorClass.CLIP && (doCenterCrop == null || doCenterCrop);
    }

    private static SizeSpec cropOf(ConfigNode cropSize) {
        SizeSpec s = cropSize == null ? SizeSpec.exact(224, 224) : SizeSpec.parse(cropSize, true, "crop_size");
        if (!s.hasExactSize()) {
            throw new IllegalArgumentException("crop_size needs height and width, got " + s);
        }
        return s;
    }

    private static List<Double> defaultMean(ProcessorClass cls) {
        return cls == ProcessorClass.CLIP ? OPENAI_CLIP_MEAN : IMAGENET_STANDARD;
    }

    private static List<Double> defaultStd(ProcessorClass cls) {
        return cls == ProcessorClass.CLIP ? OPENAI_CLIP_STD : IMAGENET_STANDARD;
    }

    private static float[] channels(List<Double> values, List<Double> fallback, String key) {
        List<Double> v = values != null ? values : fallback;
        if (v.size() != 1 && v.size() != 3) {
            throw new IllegalArgumentException(key + " needs 1 or 3 values (RGB), got " + v.size());
        }
        float[] out = new float[3];
        for (int c = 0; c < 3; c++) {
            out[c] = v.get(v.size() == 1 ? 0 : c).floatValue();
        }
        return out;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(resize=%s %s %s, crop=%s, rescale=%s, normalize=%s)",
                processorClass(), doResize, sizeSpec(), filter().displayName(), centerCrop() ? cropSpec() : "none",
                doRescale ? rescaleFactor : "no", doNormalize);
    }
}
