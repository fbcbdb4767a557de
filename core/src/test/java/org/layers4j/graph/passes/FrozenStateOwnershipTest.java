package org.layers4j.graph.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.io.HostTensor;

/** Owned values of a {@link FrozenState}: taken once, in place; never read after that through any copy. */
class FrozenStateOwnershipTest {
    private static Map<String, HostTensor> state() {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put("w", new HostTensor(Shape.of(2, 2), new float[] {1, 2, 3, 4}));
        m.put("n", HostTensor.ofLongs(Shape.of(), new long[] {5}));
        return m;
    }

    @Test
    void anOwnedValueIsTakenItselfOnceAndThenUnreadable() {
        Map<String, HostTensor> given = state();
        float[] w = given.get("w").data();
        FrozenState owning = FrozenState.owning(given);
        FrozenState copy = FrozenState.copyOf(owning);
        assertSame(w, owning.get("w").data(), "read without a copy while not taken");
        assertEquals(Shape.of(2, 2), copy.shape("w"));
        assertEquals(DType.INT64, copy.dtype("n"));
        HostTensor taken = copy.take("w");
        assertSame(w, taken.data(), "the owned array itself");
        assertNull(copy.shape("w"), "removed from the copy that took it");
        assertThrows(IllegalStateException.class, () -> owning.get("w"), "taken through another copy");
        assertThrows(IllegalStateException.class, () -> owning.entrySet().forEach(e -> e.getValue()));
        copy.give("w", taken);
        assertSame(w, copy.take("w").data(), "given back, owned again");
        assertNull(copy.take("missing"));
    }

    @Test
    void aCallersHostValueIsTakenAsACopy() {
        Map<String, HostTensor> given = state();
        FrozenState s = FrozenState.copyOf(given);
        HostTensor w = s.take("w");
        assertNotSame(given.get("w").data(), w.data());
        w.data()[0] = 42;
        assertArrayEquals(new float[] {1, 2, 3, 4}, given.get("w").data(), "the caller's tensor is unchanged");
        HostTensor n = s.take("n");
        assertNotSame(given.get("n").longs(), n.longs());
        assertArrayEquals(new long[] {5}, n.longs());
    }

    @Test
    void anUnmodifiableStateCannotBeTakenFrom() {
        FrozenState frozen = FrozenState.owning(state()).frozen();
        assertThrows(UnsupportedOperationException.class, () -> frozen.take("w"));
        assertThrows(UnsupportedOperationException.class, () -> frozen.give("w", frozen.get("w")));
    }
}
