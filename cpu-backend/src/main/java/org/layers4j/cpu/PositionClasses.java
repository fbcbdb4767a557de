package org.layers4j.cpu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.spi.ConvGeometry;

/**
 * The output positions of a batch grouped by which kernel taps fall inside the input: for each output row the
 * kernel rows that do form a range [iLo, iHi), and for each output column the kernel columns a range [jLo, jHi), so
 * a class is one rectangle of taps. Columns are listed class-major (then image, then position), each class padded
 * to whole panels of nr with -1, so that every micro-kernel panel of {@link Im2colConvolution} multiplies only the
 * taps its positions read.
 */
final class PositionClasses {
    /** Per column: image * plane + position, or -1 for a padding column. */
    final int[] columns;
    /** Per class: iLo, iHi, jLo, jHi. */
    final int[] bounds;
    /** The class of each panel of nr columns. */
    final int[] panelClass;
    /** Sum over panels of nr times the taps multiplied: the FLOPs, in units of 2 x kPerGroup x cPerGroup. */
    final long cost;

    private PositionClasses(int[] columns, int[] bounds, int[] panelClass, long cost) {
        this.columns = columns;
        this.bounds = bounds;
        this.panelClass = panelClass;
        this.cost = cost;
    }

    /** The classes of g's output positions, or null when the padded column list would not be addressable. */
    static PositionClasses of(ConvGeometry g, int nr) {
        int ow = g.outW();
        int plane = g.outH() * ow;
        Map<List<Integer>, List<Integer>> byClass = new LinkedHashMap<>();
        for (int p = 0; p < plane; p++) {
            int[] rows = valid(p / ow, g.strideH(), g.padH(), g.dilationH(), g.kh(), g.h());
            int[] cols = valid(p % ow, g.strideW(), g.padW(), g.dilationW(), g.kw(), g.w());
            byClass.computeIfAbsent(List.of(rows[0], rows[1], cols[0], cols[1]), k -> new ArrayList<>()).add(p);
        }
        long total = 0;
        for (List<Integer> members : byClass.values()) {
            total += Gemm.roundUp(g.n() * members.size(), nr);
        }
        if (total > Integer.MAX_VALUE - nr) {
            return null;
        }
        int[] columns = new int[(int) total];
        int[] bounds = new int[4 * byClass.size()];
        int[] panelClass = new int[(int) (total / nr)];
        long cost = 0;
        int at = 0;
        int cls = 0;
        for (Map.Entry<List<Integer>, List<Integer>> e : byClass.entrySet()) {
            List<Integer> key = e.getKey();
            for (int i = 0; i < 4; i++) {
                bounds[4 * cls + i] = key.get(i);
            }
            int start = at;
            for (int img = 0; img < g.n(); img++) {
                for (int p : e.getValue()) {
                    columns[at++] = img * plane + p;
                }
            }
            int end = start + Gemm.roundUp(at - start, nr);
            java.util.Arrays.fill(columns, at, end, -1);
            java.util.Arrays.fill(panelClass, start / nr, end / nr, cls);
            cost += (long) (end - start) * (key.get(1) - key.get(0)) * (key.get(3) - key.get(2));
            at = end;
            cls++;
        }
        return new PositionClasses(columns, bounds, panelClass, cost);
    }

    /** The kernel taps [lo, hi) along one axis that output index o reads inside [0, size); lo == hi if none. */
    private static int[] valid(int o, int stride, int pad, int dilation, int k, int size) {
        int lo = k;
        int hi = 0;
        for (int i = 0; i < k; i++) {
            long in = (long) o * stride - pad + (long) i * dilation;
            if (in >= 0 && in < size) {
                lo = Math.min(lo, i);
                hi = i + 1;
            }
        }
        return lo < hi ? new int[] {lo, hi} : new int[] {0, 0};
    }
}
