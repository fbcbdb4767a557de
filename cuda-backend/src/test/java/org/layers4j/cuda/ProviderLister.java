package org.layers4j.cuda;

import java.util.ServiceLoader;
import org.layers4j.spi.Availability;
import org.layers4j.spi.BackendProvider;

/** Run in a child JVM by AvailabilityTest: lists the providers ({@code list}) or probes CUDA ({@code probe}). */
public final class ProviderLister {
    private ProviderLister() {
    }

    public static void main(String[] args) {
        if (args[0].equals("list")) {
            ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                    .sorted((a, b) -> Integer.compare(b.priority(), a.priority()))
                    .forEach(p -> System.out.println(p.name() + " " + p.priority()));
        } else {
            Availability a = new CudaBackendProvider().availability();
            System.out.println("cuda " + (a.available() ? "available" : "unavailable: " + a.reason()));
        }
    }
}
