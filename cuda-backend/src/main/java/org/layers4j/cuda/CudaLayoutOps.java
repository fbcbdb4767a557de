package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.LayoutOps;
import org.layers4j.spi.PaddingPlan;

/**
 * Moving elements. Padding: {@link PadProgram}'s strided {@code cudnnSetTensor} / {@code cudnnTransformTensor}
 * steps. Permute: one {@code cudnnTransformTensor} from x seen with permuted strides into contiguous y
 * (after dropping size-1 axes and merging axes that stay adjacent, so up to 8 remain: CUDNN_DIM_MAX).
 * Embedding: the {@code gather_rows} kernel, and a deterministic scatter-add (rows grouped on the host
 * from the downloaded indices, then the {@code scatter_add_rows} kernel sums each row's gradients in index
 * order — no atomics, the CPU's summation order).
 */
final class CudaLayoutOps implements LayoutOps {
    private final CudnnBackend b;

    CudaLayoutOps(CudnnBackend backend) {
        this.b = backend;
    }

    @Override
    public void pad(PaddingPlan plan, Tensor x, Tensor padded) {
        Shape s = x.shape();
        PadProgram program = PadProgram.forward(plan, s.dim(0), s.dim(1), s.dim(2), s.dim(3));
        runPad(program, b.pointer(x), b.pointer(padded), plan.paddedShape(s));
    }

    @Override
    public void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx) {
        Shape s = dx.shape();
        PadProgram program = PadProgram.backward(plan, s.dim(0), s.dim(1), s.dim(2), s.dim(3));
        runPad(program, b.pointer(dPadded), b.pointer(dx), plan.paddedShape(s));
    }

    private void runPad(PadProgram program, Pointer input, Pointer output, Shape paddedShape) {
        Descriptors descriptors = b.descriptors();
        b.exec(ctx -> {
            Pointer scratch = program.needsScratch() ? ctx.scratch((long) paddedShape.size() * Sizeof.FLOAT).pointer
                    : null;
            for (PadProgram.Op op : program.ops()) {
                Pointer dst = at(op.dst(), input, output, scratch);
                cudnnTensorDescriptor dd = descriptors.tensor(op.dst().layout());
                switch (op.kind()) {
                    case ZERO:
                        CudaFailure.cudnn(JCudnn.cudnnSetTensor(ctx.handle, dd, dst, ZERO), "cudnnSetTensor (zero border)");
                        break;
                    case COPY:
                        CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE, descriptors.tensor(op.src().layout()),
                                at(op.src(), input, output, scratch), ZERO, dd, dst), "cudnnTransformTensor (pad copy)");
                        break;
                    default:
                        // y = 1 * x + 1 * y: cudnnTransformTensor's contract is exactly "same dims, any strides",
                        // where cudnnAddTensor is specified for broadcasting a bias
                        CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE,
                                descriptors.tensor(op.src().layout()), at(op.src(), input, output, scratch), ONE, dd,
                                dst), "cudnnTransformTensor (pad gradient accumulation)");
                }
            }
        });
    }

    private static Pointer at(PadProgram.View v, Pointer input, Pointer output, Pointer scratch) {
        Pointer base = v.buffer() == PadProgram.Buffer.INPUT ? input
                : v.buffer() == PadProgram.Buffer.OUTPUT ? output : scratch;
        return v.offset() == 0 ? base : base.withByteOffset(v.offset() * Sizeof.FLOAT);
    }

    /** The source (x, permuted strides) and destination (y, contiguous) layouts of a permutation. */
    record PermutePlan(TensorLayout src, TensorLayout dst) {
    }

    /**
     * x's dims permuted by {@code dims}, with x's strides permuted alongside; size-1 axes dropped,
     * axes that are adjacent in both orders merged, padded with leading 1s to cuDNN's minimum of 4.
     * UnsupportedOperationException when more than 8 axes remain.
     */
    static PermutePlan planPermute(int[] shape, int[] dims) {
        int r = shape.length;
        long[] xs = new long[r];
        long acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            xs[i] = acc;
            acc *= shape[i];
        }
        List<long[]> axes = new ArrayList<>(); // {size, x stride}, in y order
        for (int i = 0; i < r; i++) {
            int size = shape[dims[i]];
            if (size == 1) {
                continue;
            }
            long stride = xs[dims[i]];
            if (!axes.isEmpty()) {
                long[] last = axes.get(axes.size() - 1);
                if (last[1] == size * stride) { // the previous y axis is x's next-outer axis: one axis
                    last[0] *= size;
                    last[1] = stride;
                    continue;
                }
            }
            axes.add(new long[] {size, stride});
        }
        if (axes.size() > TensorLayout.MAX_RANK) {
            throw new UnsupportedOperationException("permute " + Arrays.toString(dims) + " of shape "
                    + Arrays.toString(shape) + " needs " + axes.size() + " strided axes after merging adjacent ones;"
                    + " cuDNN's cudnnTransformTensor takes at most " + TensorLayout.MAX_RANK);
        }
        while (axes.size() < 4) {
            axes.add(0, new long[] {1, acc});
        }
        int k = axes.size();
        int[] d = new int[k];
        int[] src = new int[k];
        int[] dst = new int[k];
        long ys = 1;
        for (int i = k - 1; i >= 0; i--) {
            d[i] = Math.toIntExact(axes.get(i)[0]);
            src[i] = Math.toIntExact(Math.max(1, axes.get(i)[1]));
            dst[i] = Math.toIntExact(ys);
            ys *= d[i];
        }
        return new PermutePlan(TensorLayout.strided(d, src), TensorLayout.strided(d, dst));
    }

    @Override
    public void permute(Tensor x, int[] dims, Tensor y) {
        if (x.dtype() != DType.FLOAT32) {
            throw new UnsupportedOperationException("permute of " + x.dtype() + " tensors: cudnnTransformTensor here"
                    + " runs on float32 only");
        }
        if (x.shape().size() == 0) {
            return;
        }
        PermutePlan p = planPermute(x.shape().dims(), dims);
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        if (p.src().equals(p.dst())) {
            b.elementwise().copy(x, y);
            return;
        }
        cudnnTensorDescriptor sd = b.descriptors().tensor(p.src());
        cudnnTensorDescriptor dd = b.descriptors().tensor(p.dst());
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE, sd, px, ZERO, dd, py),
                "cudnnTransformTensor (permute " + Arrays.toString(dims) + ")"));
    }

    @Override
    public void gatherRows(Tensor indices, Tensor table, Tensor out) {
        long m = indices.shape().size();
        int e = table.shape().dim(1);
        Pointer pi = b.pointer(indices);
        Pointer pt = b.pointer(table);
        Pointer po = b.pointer(out);
        b.exec(ctx -> b.kernels().launch(ctx, "gather_rows", m * e, pi, pt, po, m, e));
    }

    /** The rows an index list touches, each with its positions in increasing order (skipIndex left out). */
    record RowGroups(int[] rows, int[] start, int[] positions) {
        static RowGroups of(long[] indices, long skipIndex) {
            Map<Long, List<Integer>> byRow = new LinkedHashMap<>();
            for (int i = 0; i < indices.length; i++) {
                if (indices[i] != skipIndex) {
                    byRow.computeIfAbsent(indices[i], k -> new ArrayList<>()).add(i);
                }
            }
            int[] rows = new int[byRow.size()];
            int[] start = new int[byRow.size() + 1];
            int[] pos = new int[indices.length];
            int u = 0;
            int k = 0;
            for (Map.Entry<Long, List<Integer>> en : byRow.entrySet()) {
                rows[u] = Math.toIntExact(en.getKey());
                start[u] = k;
                for (int p : en.getValue()) {
                    pos[k++] = p;
                }
                u++;
            }
            start[u] = k;
            return new RowGroups(rows, start, Arrays.copyOf(pos, Math.max(1, k)));
        }
    }

    @Override
    public void scatterAddRows(Tensor indices, Tensor dOut, Tensor dTable, long skipIndex) {
        int e = dTable.shape().dim(1);
        long tableBytes = (long) dTable.shape().size() * Sizeof.FLOAT;
        RowGroups g = RowGroups.of(b.downloadLongs(indices), skipIndex);
        Pointer pd = b.pointer(dOut);
        Pointer pt = b.pointer(dTable);
        b.exec(ctx -> {
            if (tableBytes > 0) {
                CudaFailure.cuda(JCuda.cudaMemsetAsync(pt, 0, tableBytes, ctx.stream), "cudaMemsetAsync (dTable)");
            }
            if (g.rows().length == 0) {
                return;
            }
            Pointer rows = upload(ctx, g.rows());
            Pointer start = upload(ctx, g.start());
            Pointer pos = upload(ctx, g.positions());
            b.kernels().launch(ctx, "scatter_add_rows", (long) g.rows().length * e, rows, start, pos, pd, pt,
                    g.rows().length, e);
        });
    }

    /** Copies a small int array into a scratch block of the call (synchronous, like upload). */
    private static Pointer upload(StreamContext ctx, int[] data) {
        Pointer p = ctx.scratch((long) data.length * Sizeof.INT).pointer;
        CudaFailure.cuda(JCuda.cudaMemcpy(p, Pointer.to(data), (long) data.length * Sizeof.INT,
                cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device (row groups)");
        CudaFailure.cuda(JCuda.cudaStreamSynchronize(new cudaStream_t()), "cudaStreamSynchronize (row groups)");
        return p;
    }
}
