package org.layers4j.cpu;

/**
 * float32 exp, sigmoid and tanh built only from IEEE-exact operations (add, mul, fma, compare, integer bit
 * operations), so they give the same bits interpreted and in every JIT tier, and the same bits as
 * {@link VectorMath}'s lanes (which run the identical operation sequence). The Vector API's
 * {@code lanewise(EXP / TANH)} does not: C2 turns it into SVML-style stubs while the interpreter and C1 take
 * {@code (float) Math.exp} per lane, and the two differ in the last bit for some inputs.
 *
 * <p>exp is SLEEF's {@code expf} (u10), the algorithm behind PyTorch's vectorized CPU exp: x = q ln2 + s with
 * q = rint(x / ln2) (by the 1.5 * 2^23 rounding constant, no float-to-int conversion) and ln2 split in two so
 * that q * ln2_hi is exact; e^s = 1 + s + s^2 P(s) with a degree-5 minimax P evaluated by fma; the result is
 * scaled by 2^q as 2^(q >> 1) * 2^(q - (q >> 1)) (so q down to -150 gives correctly rounded subnormals and up
 * to 150 overflows to infinity). x &lt; -104 gives 0, x &gt; 104 infinity, NaN gives NaN (always the canonical
 * NaN). DeterministicExpTest measures it within 1 ulp over the normal range (0.96 seen) and within one
 * subnormal step below; tanh within 2 ulp (1.33 seen), sigmoid within 3 (2.46 seen).
 */
final class DetMath {
    static final float R_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    /** ln 2 = L2U + L2L (SLEEF's split); the reduction subtracts q * L2U, then q * L2L, each by one fma. */
    static final float L2U = 0.693145751953125f;
    static final float L2L = 1.428606765330187045e-06f;
    static final float C5 = 0.000198527617612853646278381f;
    static final float C4 = 0.00139304355252534151077271f;
    static final float C3 = 0.00833336077630519866943359f;
    static final float C2 = 0.0416664853692054748535156f;
    static final float C1 = 0.166666671633720397949219f;
    static final float C0 = 0.5f;
    /** 1.5 * 2^23: adding it rounds |y| &lt; 2^22 to an integer held in the low mantissa bits. */
    static final float MAGIC = 12582912f;
    static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    static final float EXP_LO = -104f;
    static final float EXP_HI = 104f;

    /** Below it tanh takes the odd polynomial (Cephes tanhf), at and above it 1 - 2 / (e^2|x| + 1). */
    static final float TANH_SMALL = 0.625f;
    static final float T4 = -5.70498872745e-3f;
    static final float T3 = 2.06390887954e-2f;
    static final float T2 = -5.37397155531e-2f;
    static final float T1 = 1.33314422036e-1f;
    static final float T0 = -3.33332819422e-1f;
    static final int SIGN = 0x80000000;

    private DetMath() {
    }

    static float exp(float x) {
        float t = Math.fma(x, R_LN2, MAGIC);
        int q = Float.floatToRawIntBits(t) - MAGIC_BITS;
        float qf = t - MAGIC;
        float s = Math.fma(qf, -L2U, x);
        s = Math.fma(qf, -L2L, s);
        float u = Math.fma(s, C5, C4);
        u = Math.fma(u, s, C3);
        u = Math.fma(u, s, C2);
        u = Math.fma(u, s, C1);
        u = Math.fma(u, s, C0);
        u = Math.fma(s * s, u, s) + 1f;
        int h = q >> 1;
        u = u * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((q - h + 127) << 23);
        if (x < EXP_LO) {
            return 0f;
        }
        if (x > EXP_HI) {
            return Float.POSITIVE_INFINITY;
        }
        return x != x ? Float.NaN : u;
    }

    static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    static float tanh(float x) {
        float a = Math.abs(x);
        float z = a * a;
        float p = Math.fma(z, T4, T3);
        p = Math.fma(p, z, T2);
        p = Math.fma(p, z, T1);
        p = Math.fma(p, z, T0);
        float small = Math.fma(p * z, a, a);
        float large = 1f - 2f / (exp(a + a) + 1f);
        float r = a < TANH_SMALL ? small : large;
        return x != x ? Float.NaN : Float.intBitsToFloat(Float.floatToRawIntBits(r) | (Float.floatToRawIntBits(x) & SIGN));
    }
}
