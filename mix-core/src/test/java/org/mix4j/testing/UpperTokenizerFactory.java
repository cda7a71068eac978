package org.mix4j.testing;

import java.util.List;
import java.util.OptionalLong;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.Default;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** A built-in (classpath) component used by the registry tests: code points, shifted. */
@Extension
public class UpperTokenizerFactory implements ComponentFactory<UpperTokenizerFactory.Config, Tokenizer> {

    public record Config(@Default("0") int offset) {}

    @Override
    public String type() {
        return "test_upper";
    }

    @Override
    public Role role() {
        return Role.TOKENIZER;
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    public Tokenizer create(Config config, ComponentContext context) {
        return new Tokenizer() {
            @Override
            public long[] encode(String text) {
                return text.toUpperCase().codePoints().mapToLong(c -> c + config.offset()).toArray();
            }

            @Override
            public long[] encodeRaw(String text) {
                return encode(text);
            }

            @Override
            public String decode(long[] ids, boolean skipSpecialTokens) {
                StringBuilder sb = new StringBuilder();
                for (long id : ids) {
                    sb.appendCodePoint((int) (id - config.offset()));
                }
                return sb.toString();
            }

            @Override
            public OptionalLong tokenId(String token) {
                return token.length() == 1 ? OptionalLong.of(token.charAt(0) + config.offset()) : OptionalLong.empty();
            }

            @Override
            public TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
                throw new IllegalArgumentException("not used in tests");
            }
        };
    }
}
