package org.layers4j.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the independent tasks of one operation on a fixed set of daemon worker threads created once per
 * backend. The calling thread works too (so there are threads - 1 workers and {@code threads} cores are
 * busy). Tasks are handed out in chunks through an atomic counter (cheap load balancing, no per-task
 * objects; chunks of about 1/16 of a thread's share keep the shared counters from bouncing between cores
 * on thousands of tiny tasks). The caller waits for task completion rather than for helpers: a helper
 * that starts late because it is busy with another caller's work just finds nothing left. Helpers never
 * submit work themselves, so concurrent callers cannot deadlock.
 *
 * <p>An idle worker spins for {@link #SPIN_NANOS} before it blocks, as OpenMP runtimes do: waking a
 * parked thread costs tens of microseconds, which is a tenth of a small convolution, and a layer stack
 * issues its operations back to back.
 */
final class ParallelRunner implements AutoCloseable {
    /** One unit of work, identified by its index. */
    @FunctionalInterface
    interface Task {
        void run(int index);
    }

    /** How long an idle worker polls for the next operation before parking. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final Job STOP = new Job(0, 1, i -> { });

    private final int threads;
    private final String threadPrefix = "layers4j-cpu-" + POOLS.incrementAndGet() + "-";
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread[] workers;

    ParallelRunner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("layers4j.cpu.threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, threadPrefix + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /** The name prefix of this pool's threads (tests check that close() stops them). */
    String threadPrefix() {
        return threadPrefix;
    }

    /** Runs {@code task} for every index in [0, count) and returns when all are done; rethrows the first failure. */
    void run(int count, Task task) {
        if (count <= 0) {
            return;
        }
        if (workers.length == 0 || count == 1) {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
            return;
        }
        Job job = new Job(count, Math.max(1, count / (threads * 16)), task);
        int helpers = Math.min(threads, count) - 1;
        for (int h = 0; h < helpers; h++) {
            queue.offer(job);
        }
        job.work();
        // the helpers are finishing their last chunks: spin briefly rather than pay a park/unpark round trip
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (job.done.get() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        // the helpers still write into the caller's arrays: wait for them whatever happens, and keep an
        // interrupt for the caller to see (an operation is not a blocking call one can cancel)
        boolean interrupted = false;
        while (true) {
            try {
                job.finished.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable error = job.error;
        if (error instanceof RuntimeException) {
            throw (RuntimeException) error;
        }
        if (error instanceof Error) {
            throw (Error) error;
        }
        if (error != null) {
            throw new IllegalStateException(error);
        }
    }

    private void workerLoop() {
        try {
            while (true) {
                Job job = queue.poll();
                if (job == null) {
                    long deadline = System.nanoTime() + SPIN_NANOS;
                    while (job == null && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                        job = queue.poll();
                    }
                    if (job == null) {
                        job = queue.take();
                    }
                }
                if (job == STOP) {
                    return;
                }
                job.work();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < workers.length; i++) {
            queue.offer(STOP);
        }
    }

    private static final class Job {
        private final int count;
        private final int grain;
        private final Task task;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final CountDownLatch finished = new CountDownLatch(1);
        private volatile Throwable error;

        Job(int count, int grain, Task task) {
            this.count = count;
            this.grain = grain;
            this.task = task;
        }

        void work() {
            int start;
            while ((start = next.getAndAdd(grain)) < count) {
                int end = Math.min(count, start + grain);
                try {
                    for (int i = start; i < end && error == null; i++) {
                        task.run(i);
                    }
                } catch (Throwable t) {
                    if (error == null) {
                        error = t;
                    }
                } finally {
                    if (done.addAndGet(end - start) == count) {
                        finished.countDown();
                    }
                }
            }
        }
    }
}
