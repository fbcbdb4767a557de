package org.layers4j.it;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Skips the container tests, with the reason in the test report, unless they were asked for.
 * Registered before Testcontainers' extension, so a build that did not ask never probes for a
 * Docker engine; when asked, {@code @Testcontainers(disabledWithoutDocker = true)} skips them
 * (again with a reason) where no engine answers.
 */
final class ContainerTestsEnabled implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (ItSettings.enabled()) {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                // The skip itself is @Testcontainers(disabledWithoutDocker = true)'s; this says so
                // plainly on the console (the answer is cached, so Docker is probed only once).
                System.out.println("[layers4j-it] container tests enabled, but no Docker engine is reachable: skipped");
            }
            return ConditionEvaluationResult.enabled("container tests enabled"
                    + (ItSettings.gpu() ? " on GPUs" : " on the CPU path"));
        }
        String reason = "container tests not enabled: run with -Dlayers4j.it=true (or LAYERS4J_IT=true), "
                + "or -Pgpu on a GPU host";
        // Printed too: Failsafe's console summary counts skipped tests but does not say why.
        System.out.println("[layers4j-it] " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
