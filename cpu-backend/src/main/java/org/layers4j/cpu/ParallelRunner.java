package org.layers4j.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the independent tasks of one operation on a fixed pool of daemon threads created once per
 * backend. The calling thread works too (so the pool holds threads - 1 workers and {@code threads}
 * cores are busy), tasks are handed out in chunks through an atomic counter (cheap load balancing, no
 * per-task objects; chunks of about 1/16 of a thread's share keep the shared counters from bouncing
 * between cores on thousands of tiny tasks), and the caller waits for task completion rather than for
 * helpers: a helper that starts late
 * because the pool is busy with another caller's work just finds nothing left. Helpers never submit
 * work themselves, so concurrent callers cannot deadlock.
 */
final class ParallelRunner implements AutoCloseable {
    /** One unit of work, identified by its index. */
    @FunctionalInterface
    interface Task {
        void run(int index);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ExecutorService pool;
    private final String threadPrefix = "layers4j-cpu-" + POOLS.incrementAndGet() + "-";

    ParallelRunner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("layers4j.cpu.threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        if (threads > 1) {
            AtomicInteger id = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, threadPrefix + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(threads - 1, factory);
        } else {
            pool = null;
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
        if (pool == null || count == 1) {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
            return;
        }
        Job job = new Job(count, Math.max(1, count / (threads * 16)), task);
        int helpers = Math.min(threads, count) - 1;
        for (int h = 0; h < helpers; h++) {
            pool.execute(job::work);
        }
        job.work();
        try {
            job.finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for CPU backend tasks", e);
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

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
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
