package org.layers4j.cuda;

import java.lang.reflect.Field;
import java.util.Locale;
import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.cuda.tools.GpuChecks;
import org.layers4j.spi.ConvGeometry;

/**
 * A GPU-only measurement (run by hand, not a test): where the time of one layer forward goes —
 * borrowing a context and waiting for its stream, allocating, the workspace query, the convolution
 * itself queued back to back, and the bias add — for the benchmark suite's 1x1 and depthwise cases.
 */
public final class OverheadProbe {
    private OverheadProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (CudnnBackend b = GpuChecks.backend()) {
            Field f = CudnnBackend.class.getDeclaredField("contexts");
            f.setAccessible(true);
            ContextPool pool = (ContextPool) f.get(b);
            Field c = CudnnBackend.class.getDeclaredField("convolutions");
            c.setAccessible(true);
            Convolutions convs = (Convolutions) c.get(b);
            Field d = CudnnBackend.class.getDeclaredField("descriptors");
            d.setAccessible(true);
            Descriptors descs = (Descriptors) d.get(b);
            ConvGeometry[] gs = {new ConvGeometry(8, 256, 56, 56, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                new ConvGeometry(8, 256, 28, 28, 256, 3, 3, 1, 1, 1, 1, 1, 1, 256),
                new ConvGeometry(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)};
            int reps = 1000;
            for (ConvGeometry g : gs) {
                try (Tensor x = b.allocate(Shape.of(g.n(), g.c(), g.h(), g.w()));
                     Tensor w = b.allocate(Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw()));
                     Tensor y = b.allocate(Shape.of(g.n(), g.k(), g.outH(), g.outW()));
                     Tensor bias = b.allocate(Shape.of(g.k()))) {
                    b.convolution().forward(g, x, w, y);
                    double empty = time(reps, () -> pool.run(ctx -> null));
                    double alloc = time(reps, () -> b.allocate(y.shape()).close());
                    double conv = time(reps, () -> b.convolution().forward(g, x, w, y));
                    double biasAdd = time(reps, () -> b.convolution().biasAdd(y, bias));
                    Pointer px = ((CudaStorage) org.layers4j.spi.Tensors.storage(x)).pointer();
                    Pointer pw = ((CudaStorage) org.layers4j.spi.Tensors.storage(w)).pointer();
                    Pointer py = ((CudaStorage) org.layers4j.spi.Tensors.storage(y)).pointer();
                    double[] inside = pool.run(ctx -> {
                        Descriptors.Conv dc = descs.conv(g);
                        AlgoChoice a = convs.run(ctx, Direction.FORWARD, g, px, pw, py);
                        long[] size = new long[1];
                        double query = time(reps, () -> CudaFailure.cudnn(JCudnn.cudnnGetConvolutionForwardWorkspaceSize(
                                ctx.handle, dc.x(), dc.w(), dc.conv(), dc.y(), a.algo(), size), "query"));
                        ctx.finish();
                        long t0 = System.nanoTime();
                        for (int i = 0; i < 200; i++) {
                            convs.run(ctx, Direction.FORWARD, g, px, pw, py);
                        }
                        ctx.finish();
                        return new double[] {query, (System.nanoTime() - t0) / 1e3 / 200, a.algo()};
                    });
                    System.out.printf(Locale.ROOT, "%s%n  empty call %.1f us, allocate %.1f us, conv call %.1f us, bias add"
                            + " %.1f us, workspace query %.1f us, conv queued back to back %.1f us (algo %d)%n", g,
                            empty, alloc, conv, biasAdd, inside[0], inside[1], (int) inside[2]);
                }
            }
        }
    }

    private static double time(int reps, Runnable r) {
        for (int i = 0; i < 20; i++) {
            r.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        return (System.nanoTime() - t0) / 1e3 / reps;
    }
}
