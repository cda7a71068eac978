package org.mix4j.connectors.mlp;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.nn.Activation;

/**
 * The {@code mlp} connector: {@code num_layers} linears with {@code hidden_act} between them.
 * From a LLaVA config: {@code in_features = vision_config.hidden_size}, {@code out_features =
 * text_config.hidden_size}, {@code hidden_act = projector_hidden_act}, {@code bias =
 * multimodal_projector_bias}. Sizes the config leaves out are read from the stored tensor shapes.
 *
 * @param inFeatures vision feature width {@code Dv}
 * @param outFeatures language-model width {@code Dllm}
 * @param hiddenFeatures width between the linears; {@code out_features} when unset (LLaVA)
 * @param numLayers number of linears (2 when neither this nor {@code projector_type} says)
 * @param hiddenAct activation between linears (gelu, the exact erf form, when unset)
 * @param bias whether every linear has a bias
 * @param projectorType LLaVA's short form, {@code linear} or {@code mlp<N>x_<act>}; sets
 *     {@code num_layers} and {@code hidden_act}, and must agree with them when they are also given
 */
public record MlpProjectorConfig(
        @OptionalKey Integer inFeatures,
        @OptionalKey Integer outFeatures,
        @OptionalKey Integer hiddenFeatures,
        @OptionalKey Integer numLayers,
        @OptionalKey Activation hiddenAct,
        @Default("true") boolean bias,
        @OptionalKey String projectorType) {

    private static final Pattern MLP_TYPE = Pattern.compile("mlp(\\d+)x_(\\w+)");

    public MlpProjectorConfig {
        Integer typeLayers = null;
        Activation typeAct = null;
        if (projectorType != null) {
            Matcher m = MLP_TYPE.matcher(projectorType);
            if (projectorType.equals("linear")) {
                typeLayers = 1;
            } else if (m.matches()) {
                typeLayers = Integer.parseInt(m.group(1));
                typeAct = activation(m.group(2), projectorType);
            } else {
                throw new IllegalArgumentException("projector_type '" + projectorType
                        + "' is not 'linear' or 'mlp<N>x_<act>' (such as mlp2x_gelu)");
            }
        }
        if (typeLayers != null && numLayers != null && !typeLayers.equals(numLayers)) {
            throw new IllegalArgumentException("projector_type '" + projectorType + "' means " + typeLayers
                    + " layer(s) but num_layers is " + numLayers + "; keep one of them");
        }
        if (typeAct != null && hiddenAct != null && typeAct != hiddenAct) {
            throw new IllegalArgumentException("projector_type '" + projectorType + "' means " + typeAct.key()
                    + " but hidden_act is " + hiddenAct.key() + "; keep one of them");
        }
        numLayers = numLayers != null ? numLayers : typeLayers != null ? typeLayers : 2;
        hiddenAct = hiddenAct != null ? hiddenAct : typeAct != null ? typeAct : Activation.GELU;
        if (numLayers < 1) {
            throw new IllegalArgumentException("num_layers must be at least 1, got " + numLayers);
        }
        positive("in_features", inFeatures);
        positive("out_features", outFeatures);
        positive("hidden_features", hiddenFeatures);
    }

    private static Activation activation(String name, String projectorType) {
        for (Activation a : Activation.values()) {
            if (a.key().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("projector_type '" + projectorType + "': unknown activation '" + name
                + "', valid: " + java.util.Arrays.stream(Activation.values()).map(Activation::key).toList());
    }

    static void positive(String key, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }
}
