package org.mix4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Tiled encode / decode exactly as diffusers 0.31 {@code AutoencoderKL.tiled_decode} and
 * {@code _tiled_encode}: tiles of {@code inTile} at stride {@code int(inTile * (1 - overlap))},
 * each mapped on its own; each output tile is blended linearly with the (already blended) tile
 * above over {@code int(outTile * overlap)} rows, then with the one to its left over as many
 * columns, cropped to {@code outTile - blend} and concatenated.
 *
 * <p>Memory stays bounded by a row of tiles: every tile runs in its own child manager, and a row's
 * tiles are freed once the row below has been blended with them.
 */
final class VaeTiling {

    private VaeTiling() {}

    /**
     * @param input {@code [B, C, H, W]}
     * @param inTile tile size on the input side
     * @param outTile tile size on the output side
     * @param fn maps one tile ({@code [B, C, <=inTile, <=inTile]}) to its output
     */
    static NDArray run(NDArray input, int inTile, int outTile, double overlap, UnaryOperator<NDArray> fn) {
        int stride = (int) (inTile * (1 - overlap));
        int blend = (int) (outTile * overlap);
        int rowLimit = outTile - blend;
        long height = input.getShape().get(2);
        long width = input.getShape().get(3);
        NDManager caller = input.getManager();
        try (NDManager work = caller.newSubManager()) {
            input.tempAttach(work);
            List<NDArray> resultRows = new ArrayList<>();
            List<NDArray> above = null;
            NDManager aboveScope = null;
            for (long i = 0; i < height; i += stride) {
                NDManager rowScope = work.newSubManager();
                List<NDArray> row = new ArrayList<>();
                for (long j = 0; j < width; j += stride) {
                    NDIndex window = new NDIndex(":, :, {}:{}, {}:{}", i, Math.min(i + inTile, height), j,
                            Math.min(j + inTile, width));
                    row.add(tile(input, window, fn, above == null ? null : above.get(row.size()),
                            row.isEmpty() ? null : row.get(row.size() - 1), blend, rowScope));
                }
                List<NDArray> cropped = new ArrayList<>();
                for (NDArray t : row) {
                    Shape s = t.getShape();
                    cropped.add(t.get(new NDIndex(":, :, :{}, :{}", Math.min(rowLimit, s.get(2)),
                            Math.min(rowLimit, s.get(3)))));
                }
                NDArray resultRow = NDArrays.concat(new NDList(cropped), 3);
                resultRow.attach(work);
                resultRows.add(resultRow);
                if (aboveScope != null) {
                    aboveScope.close();
                }
                above = row;
                aboveScope = rowScope;
            }
            NDArray result = NDArrays.concat(new NDList(resultRows), 2);
            result.attach(caller);
            return result;
        }
    }

    /** One tile mapped and blended with its upper and left neighbours, attached to {@code rowScope}. */
    private static NDArray tile(NDArray input, NDIndex window, UnaryOperator<NDArray> fn, NDArray up, NDArray left,
            int blend, NDManager rowScope) {
        try (NDManager tileScope = rowScope.newSubManager()) {
            NDArray slice = input.get(window);
            slice.attach(tileScope);
            NDArray out = fn.apply(slice);
            out.attach(tileScope);
            if (up != null) {
                out = blend(up, out, blend, 2);
            }
            if (left != null) {
                out = blend(left, out, blend, 3);
            }
            out.attach(rowScope);
            return out;
        }
    }

    /**
     * diffusers' {@code blend_v} ({@code axis 2}) / {@code blend_h} ({@code axis 3}): the first
     * {@code e} rows (columns) of {@code b} become {@code a_end * (1 - y / e) + b * (y / e)}, where
     * {@code a_end} are the last {@code e} rows (columns) of {@code a}. Results land in {@code b}'s manager.
     */
    static NDArray blend(NDArray a, NDArray b, int extent, int axis) {
        long e = Math.min(Math.min(a.getShape().get(axis), b.getShape().get(axis)), extent);
        if (e <= 0) {
            return b;
        }
        NDManager scope = b.getManager();
        float[] keepA = new float[(int) e];
        float[] takeB = new float[(int) e];
        for (int y = 0; y < e; y++) {
            // the weights as Python computes them (double), rounded once to float as torch does
            takeB[y] = (float) (y / (double) e);
            keepA[y] = (float) (1 - y / (double) e);
        }
        Shape weightShape = axis == 2 ? new Shape(1, 1, e, 1) : new Shape(1, 1, 1, e);
        long aLength = a.getShape().get(axis);
        NDArray aEnd = a.get(axis == 2 ? new NDIndex(":, :, {}:", aLength - e) : new NDIndex(":, :, :, {}:", aLength - e));
        aEnd.attach(scope);
        NDArray bStart = b.get(axis == 2 ? new NDIndex(":, :, :{}", e) : new NDIndex(":, :, :, :{}", e));
        NDArray bRest = b.get(axis == 2 ? new NDIndex(":, :, {}:", e) : new NDIndex(":, :, :, {}:", e));
        NDArray blended = aEnd.mul(scope.create(keepA, weightShape)).add(bStart.mul(scope.create(takeB, weightShape)));
        return blended.concat(bRest, axis);
    }
}
