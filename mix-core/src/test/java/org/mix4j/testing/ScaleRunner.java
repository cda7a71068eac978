package org.mix4j.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Runner for the verifier's own tests, kind {@code test_scale}: {@code y = x * factor}, and the
 * input {@code ids} passed through. {@code case.json fail: true} makes it throw.
 */
@Extension
public final class ScaleRunner implements CaseRunner {

    @Override
    public Set<String> kinds() {
        return Set.of("test_scale");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        if (c.json().has("fail")) {
            throw new IllegalStateException("runner failed on purpose");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("y", c.tensor("x", manager).mul(c.number("factor")));
        if (c.hasTensor("ids")) {
            out.put("ids_out", c.tensor("ids", manager));
        }
        return out;
    }
}
