package org.layers4j.nn.conv;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;

/** Every invalid argument gets an IllegalArgumentException naming the value and the rule, before any backend. */
class ConvSpecValidationTest {

    private static Arguments bad(String rule, String expectedFragment, Executable call) {
        return Arguments.of(rule, expectedFragment, call);
    }

    private static Executable plan(Supplier<ConvBuilder<?>> b, int... input) {
        return () -> b.get().spec().plan(Shape.of(input));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("in_channels divisible by groups", "in_channels must be divisible by groups, but in_channels=5 and groups=2",
                        () -> Conv2d.builder(5, 4, 3).groups(2).spec()),
                bad("out_channels divisible by groups", "out_channels must be divisible by groups, but out_channels=3 and groups=2",
                        () -> Conv2d.builder(4, 3, 3).groups(2).spec()),
                bad("groups positive", "groups must be a positive integer, but got 0", () -> Conv1d.builder(4, 4, 3).groups(0).spec()),
                bad("in_channels positive", "in_channels must be a positive integer, but got 0", () -> Conv2d.builder(0, 4, 3).spec()),
                bad("out_channels positive", "out_channels must be a positive integer, but got -1", () -> Conv1d.builder(1, -1, 3).spec()),
                bad("kernel >= 1", "kernel_size must be >= 1, but got kernel_size=[0]", () -> Conv2d.builder(1, 1, 0).spec()),
                bad("kernel per dim", "kernel_size must have 1 or 2 values, but got 3 [3, 3, 3]", () -> Conv2d.builder(1, 1, 3, 3, 3).spec()),
                bad("kernel not null", "kernel_size must not be null", () -> Conv2d.builder(1, 1, (int[]) null).spec()),
                bad("stride >= 1", "stride must be >= 1, but got stride=[1, 0]", () -> Conv2d.builder(1, 1, 3).stride(1, 0).spec()),
                bad("dilation >= 1", "dilation must be >= 1, but got dilation=[-2]", () -> Conv1d.builder(1, 1, 3).dilation(-2).spec()),
                bad("padding >= 0", "padding must be non-negative, but got padding=[-1]", () -> Conv2d.builder(1, 1, 3).padding(-1).spec()),
                bad("padding per dim", "padding must have 1 value, but got 2 [1, 1]", () -> Conv1d.builder(1, 1, 3).padding(1, 1).spec()),
                bad("padding string", "Invalid padding string 'full', should be one of {'valid', 'same'}",
                        () -> Conv2d.builder(1, 1, 3).padding("full")),
                bad("padding string is case-sensitive", "Invalid padding string 'SAME', should be one of {'valid', 'same'}",
                        () -> Conv2d.builder(1, 1, 3).padding("SAME")),
                bad("unbatched input channels", "Given groups=1, weight of size [2, 4, 3], expected input[1, 3, 8] to have 4 channels, but got 3 channels instead",
                        plan(() -> Conv1d.builder(4, 2, 3), 3, 8)),
                bad("'same' not strided", "padding='same' is not supported for strided convolutions, but stride=[2, 1]",
                        () -> Conv2d.builder(1, 1, 3).padding("same").stride(2, 1).spec()),
                bad("padding_mode not null", "padding_mode must not be null", () -> Conv2d.builder(1, 1, 3).paddingMode(null).spec()),
                bad("padding_mode name", "padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got 'mirror'",
                        () -> PaddingMode.fromTorchName("mirror")),
                bad("Conv2d input rank", "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]",
                        plan(() -> Conv2d.builder(3, 1, 1), 2, 3)),
                bad("Conv1d input rank", "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 2, 3, 4]",
                        plan(() -> Conv1d.builder(2, 1, 1), 1, 2, 3, 4)),
                bad("input channels", "Given groups=1, weight of size [2, 4, 3, 3], expected input[2, 3, 5, 5] to have 4 channels, but got 3 channels instead",
                        plan(() -> Conv2d.builder(4, 2, 3), 2, 3, 5, 5)),
                bad("input channels with groups", "Given groups=2, weight of size [4, 2, 3], expected input[1, 3, 8] to have 4 channels",
                        plan(() -> Conv1d.builder(4, 4, 3).groups(2), 1, 3, 8)),
                bad("output size >= 1", "Kernel size (with dilation) can't be greater than actual input size",
                        plan(() -> Conv2d.builder(1, 1, 5), 1, 1, 4, 4)),
                bad("dilated output size >= 1", "calculated padded input size per channel: (5). Kernel size: (7)",
                        plan(() -> Conv1d.builder(1, 1, 4).dilation(2), 1, 1, 5)),
                bad("reflect padding < input size", "reflect padding must be less than the input size of that dimension, but got padding 3 at dimension 3 of input [1, 1, 5, 3]",
                        plan(() -> Conv2d.builder(1, 1, 1).padding(3).paddingMode(PaddingMode.REFLECT), 1, 1, 5, 3)),
                bad("reflect 'same' padding < input size", "reflect padding must be less than the input size of that dimension, but got padding 2 at dimension 2",
                        plan(() -> Conv1d.builder(1, 1, 5).padding("same").paddingMode(PaddingMode.REFLECT), 1, 1, 2)),
                bad("circular padding <= input size", "circular padding must be at most the input size of that dimension (it would wrap around more than once),"
                        + " but got padding 4 at dimension 1 of input [1, 3]",
                        plan(() -> Conv1d.builder(1, 1, 1).padding(4).paddingMode(PaddingMode.CIRCULAR), 1, 3)),
                bad("null input shape", "input must not be null", () -> Conv2d.builder(1, 1, 1).spec().plan(null)),
                bad("empty input", "calculated padded input size per channel: (0). Kernel size: (1)",
                        plan(() -> Conv1d.builder(1, 1, 1), 1, 1, 0)),
                bad("empty padded input", "expected a non-empty input, but got input of size: [1, 1, 0]",
                        plan(() -> Conv1d.builder(1, 1, 1).padding(1), 1, 1, 0)),
                bad("negative shape", "shape dimension 1 is -2", () -> Shape.of(1, -2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidArgumentIsRejectedNamingValueAndRule(String rule, String expectedFragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, rule);
        assertTrue(e.getMessage().contains(expectedFragment), () -> "message '" + e.getMessage() + "' lacks '"
                + expectedFragment + "'");
    }
}
