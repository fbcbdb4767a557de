package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.io.SafeTensors;

/** The training example follows PyTorch's loss curve step for step. */
class TrainTextCnnTest {

    @Test
    void textCnnLossCurveMatchesPyTorchsEveryStep() throws Exception {
        SafeTensors.Contents c;
        try (InputStream in = TrainTextCnnCommand.class.getResourceAsStream(TrainTextCnnCommand.RESOURCE)) {
            c = SafeTensors.parse(in.readAllBytes());
        }
        TrainTextCnnCommand.Curves r = TrainTextCnnCommand.train(c, Backends.get("cpu"));
        assertEquals(100, r.layers4j().length);
        for (int i = 0; i < r.layers4j().length; i++) {
            double tol = 1e-4 * Math.max(1, Math.abs(r.torch()[i]));
            float ours = r.layers4j()[i];
            float ref = r.torch()[i];
            int step = i;
            assertTrue(Math.abs(ours - ref) <= tol, () -> "step " + step + ": loss " + ours + ", PyTorch " + ref);
        }
        assertTrue(r.layers4j()[99] < 0.2 * r.layers4j()[0], "the model learns the task");
    }

    @Test
    void theCommandPrintsBothCurves() {
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"train-textcnn", "--backend", "cpu"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertEquals(0, code);
        assertTrue(out.toString().contains(" step   layers4j    PyTorch"), out.toString());
        assertTrue(out.toString().contains("largest difference over 100 steps"), out.toString());
    }
}
