package org.layers4j.cli;

/**
 * The CLI's exit codes, one meaning each, the same in every command; listed by each command's {@code --help}
 * (the {@code exitCodeList} lines below) and in the README.
 */
final class ExitCodes {
    /** The command did what was asked (also {@code --help} and {@code --version}). */
    static final int OK = 0;
    /** The command ran and a check failed: a conformance case did not match PyTorch. */
    static final int CHECK_FAILED = 1;
    /** A usage error: an unknown option, a missing or malformed argument, an option value out of range (picocli's own). */
    static final int USAGE = 2;
    /** The command could not run: the backend is unknown or unavailable, an input is missing, unreadable or malformed. */
    static final int CANNOT_RUN = 3;
    /** Nothing to do: the directories given hold no conformance case. */
    static final int NOTHING_TO_DO = 4;
    /** A bug in layers4j: an unexpected exception, printed with its stack trace. */
    static final int INTERNAL_ERROR = 5;

    // the help lines (annotation values must be constants); "key:description" is picocli's exitCodeList format
    static final String HEADING = "%nExit codes:%n";
    static final String L_OK = "0:success";
    static final String L_CHECK_FAILED = "1:a check failed (a conformance case did not match)";
    static final String L_USAGE = "2:usage error (unknown option, bad or missing argument)";
    static final String L_CANNOT_RUN = "3:cannot run (backend unknown or unavailable; input missing, unreadable or"
            + " malformed)";
    static final String L_NOTHING_TO_DO = "4:nothing to do (no conformance case found)";
    static final String L_INTERNAL_ERROR = "5:internal error (a bug: the stack trace is printed, please report it)";

    private ExitCodes() {
    }
}
