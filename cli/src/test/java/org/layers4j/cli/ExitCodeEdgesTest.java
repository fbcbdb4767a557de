package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** Issue 25: no command is a usage error; running out of heap is "cannot run" with advice, not a crash. */
class ExitCodeEdgesTest {

    @Test
    void noCommandIsAUsageErrorWithTheUsageOnStderr() {
        CliTestSupport.Run r = CliTestSupport.run();
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("Missing required subcommand"), r.err());
        assertTrue(r.err().contains("Usage: layers4j"), r.err());
    }

    @Test
    void aMultiLineMessageIsShownWhole() {
        assertEquals("Error(s) in loading state_dict for Sequential: Missing key(s) in state_dict: \"0.bias\"."
                + " size mismatch for 0.weight: ...", Main.oneLine("Error(s) in loading state_dict for Sequential:\n\t"
                + "Missing key(s) in state_dict: \"0.bias\".\n\tsize mismatch for 0.weight: ..."));
        assertEquals(2004, Main.oneLine("x".repeat(5000)).length());
    }

    @Command(name = "oom")
    static final class Oom implements Runnable {
        @Override
        public void run() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void outOfMemoryExitsThreeWithOneLineNamingXmx() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Oom(), new String[0], new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(ExitCodes.CANNOT_RUN, code, err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("out of memory") && err.toString().contains("-Xmx"), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());
    }
}
