package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.runtime.JCuda;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.spi.ConvGeometry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three convolution passes on cuDNN: picks the algorithm ranking (heuristics
 * {@code cudnnGet...Algorithm_v7} by default, {@code cudnnFind...AlgorithmEx} timings in benchmark
 * mode), caches it under an {@link AlgoKey}, filters it by determinism, math type and workspace
 * limit, and runs the first algorithm that fits in memory.
 */
final class Convolutions {
    private static final Logger LOG = LoggerFactory.getLogger(Convolutions.class);
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});
    /** cudnnDeterminism_t CUDNN_DETERMINISTIC. */
    private static final int DETERMINISTIC = 1;

    private final int device;
    private final CudaSettings settings;
    private final Descriptors descriptors;
    private final DeviceAllocator allocator;
    private final Map<AlgoKey, List<AlgoChoice>> rankings = new ConcurrentHashMap<>();
    /** Workspace bytes per key and algorithm: cuDNN 9's query costs 20-150 us, measured on an H200. */
    private final Map<WorkspaceKey, Long> workspaceSizes = new ConcurrentHashMap<>();
    /** The algorithm that last ran per key, kept only while DEBUG is on: a change is logged. */
    private final Map<AlgoKey, Integer> lastRun = new ConcurrentHashMap<>();

    private record WorkspaceKey(AlgoKey key, int algo) {
    }

    Convolutions(int device, CudaSettings settings, Descriptors descriptors, DeviceAllocator allocator) {
        this.device = device;
        this.settings = settings;
        this.descriptors = descriptors;
        this.allocator = allocator;
    }

    /**
     * Runs one pass. Operands by direction: FORWARD (x, w) → y; BACKWARD_DATA (dy, w) → dx;
     * BACKWARD_FILTER (x, dy) → dw. The output is overwritten (beta = 0).
     */
    AlgoChoice run(StreamContext ctx, Direction dir, ConvGeometry g, Pointer a, Pointer b, Pointer out) {
        Descriptors.Conv d = descriptors.conv(g);
        AlgoKey key = new AlgoKey(device, dir, g, settings.mathType(), settings.deterministic(),
                settings.workspaceLimitBytes(), settings.benchmark());
        List<AlgoChoice> ranked = rankings.get(key);
        String what = dir.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " convolution of " + g;
        if (ranked == null) {
            List<AlgoChoice> all = settings.benchmark() ? find(ctx, dir, d, a, b, out) : heuristics(ctx, dir, d);
            ranked = AlgoChoice.usable(all, settings.deterministic(), settings.tf32(), settings.workspaceLimitBytes());
            if (rankings.putIfAbsent(key, ranked) == null && LOG.isDebugEnabled()) {
                LOG.debug("cuda:{} {}: cuDNN's {} ranking {}; usable ({}workspace <= {} B, {}) {}", device, what,
                        settings.benchmark() ? "timed (cudnnFind...AlgorithmEx)" : "heuristic (cudnnGet...Algorithm_v7)",
                        AlgoNames.describe(dir, all), settings.deterministic() ? "deterministic, " : "",
                        settings.workspaceLimitBytes(), settings.tf32() ? "tensor-op math allowed" : "no tensor-op math",
                        AlgoNames.describe(dir, ranked));
            }
        }
        AlgoChoice ran = AlgoRunner.runFirstFitting(what, ranked, settings.workspaceLimitBytes(),
                c -> execute(ctx, key, d, c.algo(), a, b, out, what), algo -> AlgoNames.algorithm(dir, algo));
        if (LOG.isDebugEnabled()) {
            Integer before = lastRun.put(key, ran.algo());
            if (before == null || before != ran.algo()) {
                LOG.debug("cuda:{} {}: runs {} with {} B of workspace{}", device, what, AlgoNames.algorithm(dir, ran.algo()),
                        workspaceSizes.get(new WorkspaceKey(key, ran.algo())),
                        before == null ? "" : " (before: " + AlgoNames.algorithm(dir, before) + ")");
            }
        }
        return ran;
    }

    /** How many rankings are cached. */
    int cachedRankings() {
        return rankings.size();
    }

    private void execute(StreamContext ctx, AlgoKey key, Descriptors.Conv d, int algo, Pointer a, Pointer b,
                         Pointer out, String what) {
        Direction dir = key.direction();
        long[] size = {workspaceSizes.computeIfAbsent(new WorkspaceKey(key, algo), k -> {
            long bytes = workspaceSize(ctx, dir, d, algo);
            LOG.debug("cuda:{} {}: {} needs {} B of workspace", device, what, AlgoNames.algorithm(dir, algo), bytes);
            return bytes;
        })};
        int s;
        if (size[0] > settings.workspaceLimitBytes()) {
            throw CudaFailure.overWorkspaceLimit(what + " with algorithm " + algo, size[0], settings.workspaceLimitBytes());
        }
        DeviceAllocator.Block ws = size[0] > 0 ? ctx.scratch(size[0]) : null;
        Pointer wsp = ws == null ? new Pointer() : ws.pointer;
        switch (dir) {
            case FORWARD:
                s = JCudnn.cudnnConvolutionForward(ctx.handle, ONE, d.x(), a, d.w(), b, d.conv(), algo, wsp, size[0],
                        ZERO, d.y(), out);
                break;
            case BACKWARD_DATA:
                s = JCudnn.cudnnConvolutionBackwardData(ctx.handle, ONE, d.w(), b, d.y(), a, d.conv(), algo, wsp,
                        size[0], ZERO, d.x(), out);
                break;
            default:
                s = JCudnn.cudnnConvolutionBackwardFilter(ctx.handle, ONE, d.x(), a, d.y(), b, d.conv(), algo, wsp,
                        size[0], ZERO, d.w(), out);
        }
        if (s != 0 && ws != null) {
            // a call that returned an error queued nothing: its workspace can go back at once
            ctx.dropScratch(ws);
        }
        CudaFailure.cudnn(s, "cudnnConvolution" + (dir == Direction.FORWARD ? "Forward"
                : dir == Direction.BACKWARD_DATA ? "BackwardData" : "BackwardFilter") + " (algorithm " + algo + ")");
    }

    private static long workspaceSize(StreamContext ctx, Direction dir, Descriptors.Conv d, int algo) {
        long[] size = new long[1];
        int s;
        switch (dir) {
            case FORWARD:
                s = JCudnn.cudnnGetConvolutionForwardWorkspaceSize(ctx.handle, d.x(), d.w(), d.conv(), d.y(), algo, size);
                break;
            case BACKWARD_DATA:
                s = JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.handle, d.w(), d.y(), d.conv(), d.x(), algo,
                        size);
                break;
            default:
                s = JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.handle, d.x(), d.y(), d.conv(), d.w(),
                        algo, size);
        }
        CudaFailure.cudnn(s, "cudnnGetConvolution workspace size (" + dir + ", algorithm " + algo + ")");
        return size[0];
    }

    /** cuDNN's heuristic ranking (_v7): no GPU time spent, good choices for typical layers. */
    private List<AlgoChoice> heuristics(StreamContext ctx, Direction dir, Descriptors.Conv d) {
        int max = maxCount(ctx, dir);
        int[] returned = new int[1];
        switch (dir) {
            case FORWARD: {
                cudnnConvolutionFwdAlgoPerf[] p = Stream.generate(cudnnConvolutionFwdAlgoPerf::new).limit(max)
                        .toArray(cudnnConvolutionFwdAlgoPerf[]::new);
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(ctx.handle, d.x(), d.w(), d.conv(), d.y(),
                        max, returned, p), "cudnnGetConvolutionForwardAlgorithm_v7");
                return choices(p, returned[0], false);
            }
            case BACKWARD_DATA: {
                cudnnConvolutionBwdDataAlgoPerf[] p = Stream.generate(cudnnConvolutionBwdDataAlgoPerf::new).limit(max)
                        .toArray(cudnnConvolutionBwdDataAlgoPerf[]::new);
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.handle, d.w(), d.y(), d.conv(),
                        d.x(), max, returned, p), "cudnnGetConvolutionBackwardDataAlgorithm_v7");
                return choices(p, returned[0], false);
            }
            default: {
                cudnnConvolutionBwdFilterAlgoPerf[] p = Stream.generate(cudnnConvolutionBwdFilterAlgoPerf::new).limit(max)
                        .toArray(cudnnConvolutionBwdFilterAlgoPerf[]::new);
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx.handle, d.x(), d.y(), d.conv(),
                        d.w(), max, returned, p), "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
                return choices(p, returned[0], false);
            }
        }
    }

    /** How many algorithms cuDNN can rank for a direction: the size of the perf arrays. */
    private static int maxCount(StreamContext ctx, Direction dir) {
        int[] max = new int[1];
        switch (dir) {
            case FORWARD:
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(ctx.handle, max),
                        "cudnnGetConvolutionForwardAlgorithmMaxCount");
                break;
            case BACKWARD_DATA:
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(ctx.handle, max),
                        "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
                break;
            default:
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(ctx.handle, max),
                        "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
        }
        return max[0];
    }

    // JCudnn's three perf structs share no supertype: one conversion each, used by heuristics and find
    private static List<AlgoChoice> choices(cudnnConvolutionFwdAlgoPerf[] p, int n, boolean timed) {
        List<AlgoChoice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new AlgoChoice(p[i].algo, p[i].status, timed ? p[i].time : -1, p[i].memory,
                    p[i].determinism == DETERMINISTIC, p[i].mathType));
        }
        return out;
    }

    private static List<AlgoChoice> choices(cudnnConvolutionBwdDataAlgoPerf[] p, int n, boolean timed) {
        List<AlgoChoice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new AlgoChoice(p[i].algo, p[i].status, timed ? p[i].time : -1, p[i].memory,
                    p[i].determinism == DETERMINISTIC, p[i].mathType));
        }
        return out;
    }

    private static List<AlgoChoice> choices(cudnnConvolutionBwdFilterAlgoPerf[] p, int n, boolean timed) {
        List<AlgoChoice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new AlgoChoice(p[i].algo, p[i].status, timed ? p[i].time : -1, p[i].memory,
                    p[i].determinism == DETERMINISTIC, p[i].mathType));
        }
        return out;
    }

    /**
     * Benchmark mode: cuDNN times every algorithm on the call's own buffers (it overwrites the
     * output, which the pass writes next anyway) with a workspace of at most the limit, sorted fastest
     * first. The workspace is freed at once rather than cached: it is a one-off per cache key.
     */
    private List<AlgoChoice> find(StreamContext ctx, Direction dir, Descriptors.Conv d, Pointer a, Pointer b,
                                  Pointer outPtr) {
        int max = maxCount(ctx, dir); // before the workspace exists, so a failure here leaks nothing
        long[] free = new long[1];
        long[] total = new long[1];
        CudaFailure.cuda(JCuda.cudaMemGetInfo(free, total), "cudaMemGetInfo");
        long wsBytes = Math.min(settings.workspaceLimitBytes(), free[0] / 2);
        DeviceAllocator.Block ws = null;
        while (wsBytes > 0 && ws == null) {
            try {
                ws = allocator.allocate(wsBytes);
            } catch (CudaFailure e) {
                if (!e.isOutOfMemory()) {
                    throw e;
                }
                wsBytes /= 2;
            }
        }
        Pointer wsp = ws == null ? new Pointer() : ws.pointer;
        long wsSize = ws == null ? 0 : wsBytes;
        int[] returned = new int[1];
        try {
            switch (dir) {
                case FORWARD: {
                    cudnnConvolutionFwdAlgoPerf[] p = Stream.generate(cudnnConvolutionFwdAlgoPerf::new).limit(max)
                            .toArray(cudnnConvolutionFwdAlgoPerf[]::new);
                    CudaFailure.cudnn(JCudnn.cudnnFindConvolutionForwardAlgorithmEx(ctx.handle, d.x(), a, d.w(), b,
                            d.conv(), d.y(), outPtr, max, returned, p, wsp, wsSize),
                            "cudnnFindConvolutionForwardAlgorithmEx");
                    return choices(p, returned[0], true);
                }
                case BACKWARD_DATA: {
                    cudnnConvolutionBwdDataAlgoPerf[] p = Stream.generate(cudnnConvolutionBwdDataAlgoPerf::new).limit(max)
                            .toArray(cudnnConvolutionBwdDataAlgoPerf[]::new);
                    CudaFailure.cudnn(JCudnn.cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.handle, d.w(), b, d.y(), a,
                            d.conv(), d.x(), outPtr, max, returned, p, wsp, wsSize),
                            "cudnnFindConvolutionBackwardDataAlgorithmEx");
                    return choices(p, returned[0], true);
                }
                default: {
                    cudnnConvolutionBwdFilterAlgoPerf[] p = Stream.generate(cudnnConvolutionBwdFilterAlgoPerf::new)
                            .limit(max).toArray(cudnnConvolutionBwdFilterAlgoPerf[]::new);
                    CudaFailure.cudnn(JCudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx(ctx.handle, d.x(), a, d.y(), b,
                            d.conv(), d.w(), outPtr, max, returned, p, wsp, wsSize),
                            "cudnnFindConvolutionBackwardFilterAlgorithmEx");
                    return choices(p, returned[0], true);
                }
            }
        } finally {
            if (ws != null) {
                // Find...Ex is synchronous on the host but its kernels ran on the handle's stream
                CudaFailure.cuda(JCuda.cudaStreamSynchronize(ctx.stream), "cudaStreamSynchronize");
                allocator.discard(ws);
            }
        }
    }
}
