package org.layers4j.cpu;

import static org.layers4j.cpu.DetMath.C0;
import static org.layers4j.cpu.DetMath.C1;
import static org.layers4j.cpu.DetMath.C2;
import static org.layers4j.cpu.DetMath.C3;
import static org.layers4j.cpu.DetMath.C4;
import static org.layers4j.cpu.DetMath.C5;
import static org.layers4j.cpu.DetMath.EXP_HI;
import static org.layers4j.cpu.DetMath.EXP_LO;
import static org.layers4j.cpu.DetMath.L2L;
import static org.layers4j.cpu.DetMath.L2U;
import static org.layers4j.cpu.DetMath.MAGIC;
import static org.layers4j.cpu.DetMath.MAGIC_BITS;
import static org.layers4j.cpu.DetMath.R_LN2;
import static org.layers4j.cpu.DetMath.SIGN;
import static org.layers4j.cpu.DetMath.T0;
import static org.layers4j.cpu.DetMath.T1;
import static org.layers4j.cpu.DetMath.T2;
import static org.layers4j.cpu.DetMath.T3;
import static org.layers4j.cpu.DetMath.T4;
import static org.layers4j.cpu.DetMath.TANH_SMALL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link DetMath}'s exp, sigmoid and tanh in vector lanes: the same operations in the same order, each exactly
 * rounded the same way interpreted and compiled, so every lane gives the bits the scalar version gives (and
 * results depend neither on the JIT tier nor on the vector width or where a loop's scalar tail starts).
 */
final class VectorMath {
    private VectorMath() {
    }

    private static FloatVector c(FloatVector like, float v) {
        return FloatVector.broadcast(like.species(), v);
    }

    /**
     * |x| up to which every lane's result is a normal float and 2^q one too (|q| &lt;= 125): the result is then
     * scaled by 2^q in one exact multiplication, which gives the bits of the two-step scaling, and no lane takes
     * the 0 / infinity / NaN blends. (|x| &lt;= 86 gives |q| = |rint(x / ln 2)| &lt;= 124.)
     */
    static final float NORMAL_RANGE = 86f;

    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(R_LN2, MAGIC);
        IntVector q = (IntVector) t.reinterpretAsInts().sub(MAGIC_BITS);
        FloatVector qf = t.sub(MAGIC);
        FloatVector s = qf.fma(c(x, -L2U), x);
        s = qf.fma(c(x, -L2L), s);
        FloatVector u = s.fma(C5, C4);
        u = u.fma(s, c(x, C3));
        u = u.fma(s, c(x, C2));
        u = u.fma(s, c(x, C1));
        u = u.fma(s, c(x, C0));
        u = s.mul(s).fma(u, s).add(1f);
        if (x.abs().compare(VectorOperators.LE, NORMAL_RANGE).allTrue()) {
            return u.mul(q.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
        }
        IntVector h = q.lanewise(VectorOperators.ASHR, 1);
        FloatVector p1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector p2 = q.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        u = u.mul(p1).mul(p2);
        u = u.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        u = u.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
        return u.blend(Float.NaN, x.compare(VectorOperators.NE, x));
    }

    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(x.species(), 1f);
        return one.div(exp(x.neg()).add(1f));
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = a.mul(a);
        FloatVector p = z.fma(T4, T3);
        p = p.fma(z, c(x, T2));
        p = p.fma(z, c(x, T1));
        p = p.fma(z, c(x, T0));
        FloatVector small = p.mul(z).fma(a, a);
        FloatVector two = FloatVector.broadcast(x.species(), 2f);
        FloatVector large = two.div(exp(a.add(a)).add(1f)).neg().add(1f);
        FloatVector r = large.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
        IntVector sign = (IntVector) x.reinterpretAsInts().and(SIGN);
        r = ((IntVector) r.reinterpretAsInts()).or(sign).reinterpretAsFloats();
        return r.blend(Float.NaN, x.compare(VectorOperators.NE, x));
    }
}
