package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** Run in a child JVM with a small heap by {@link SafeTensorsLargeFileTest}: reads one file, prints what happened. */
public final class SafeTensorsHeapProbe {
    private SafeTensorsHeapProbe() {
    }

    public static void main(String[] args) {
        try {
            SafeTensors.Contents c = SafeTensors.read(Path.of(args[0]));
            HostTensor t = c.tensors().values().iterator().next();
            System.out.println("read=ok elements=" + t.shape().size() + " last=" + t.floats()[t.shape().size() - 1]);
        } catch (IOException e) {
            System.out.println("read=IOException " + e.getMessage());
        } catch (OutOfMemoryError e) {
            System.out.println("read=OOM");
        }
    }
}
