package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.testing.TestData;

/** The demo reproduces the notebook's values: the seed fixtures PyTorch computed. */
class DemoTest {
    private final List<Notebook.Step> steps = new Notebook(Backends.get("cpu")).steps();

    private static double[] expected(String fixture) {
        return TestData.toDouble(Notebook.fixture(fixture).tensor("output").data());
    }

    @Test
    void conv1dOnSentencesGivesTheNotebooksOutputAndShape() {
        Notebook.Printed out = steps.get(0).output();
        assertEquals(Shape.of(2, 5, 2), out.shape());
        assertNull(TestData.mismatch(out.values(), expected("seed_conv1d_s2_p1")));
    }

    @Test
    void reluZeroesTheNegativeConv1dOutputs() {
        double[] conv = expected("seed_conv1d_s2_p1");
        for (int i = 0; i < conv.length; i++) {
            conv[i] = Math.max(conv[i], 0);
        }
        assertNull(TestData.mismatch(steps.get(1).output().values(), conv));
    }

    @Test
    void conv2dOnArangeGivesTheNotebooksOutputsForOneAndTwoChannels() {
        assertNull(TestData.mismatch(steps.get(2).output().values(), expected("seed_conv2d_arange_7x7_out1")));
        assertNull(TestData.mismatch(steps.get(3).output().values(), expected("seed_conv2d_arange_7x7_out2")));
        assertEquals(Shape.of(1, 2, 5, 5), steps.get(3).output().shape());
    }

    @Test
    void paddingModesGiveTheNotebooksPaddedGrids() {
        String[] modes = {"zeros", "reflect", "replicate", "circular"};
        for (int m = 0; m < 4; m++) {
            Notebook.Printed out = steps.get(4 + m).output();
            assertEquals(Shape.of(1, 1, 11, 11), out.shape());
            assertNull(TestData.mismatch(out.values(), expected("seed_padding_" + modes[m])), modes[m]);
        }
    }

    @Test
    void groupsOfTwoOnOnesGiveThreeSevenUpToThirtyOne() {
        float[] out = steps.get(8).output().values();
        float[] expected = {3, 7, 11, 15, 19, 23, 27, 31};
        assertEquals(expected.length, out.length);
        for (int i = 0; i < out.length; i++) {
            assertEquals(expected[i], out[i], 0f);
        }
    }

    @Test
    void printsShapesAndTensorsAsPyTorchAndTheBackendThatRan() {
        CliTestSupport.Run r = CliTestSupport.run("demo", "--backend", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("running on backend cpu"), r.out());
        assertTrue(r.out().contains("torch.Size([2, 5, 2])"));
        assertTrue(r.out().contains(">>> Conv1d(6, 5, kernel_size=(3,), stride=(2,), padding=(1,))"));
        assertTrue(r.out().contains("tensor([[[[ 3.]],\n\n         [[ 7.]],\n\n         [[11.]],"), r.out());
        assertTrue(r.out().contains("[23., 22., 21., 20., 21., 22., 23., 24., 23., 22., 21.]"), "reflect row");
    }
}
