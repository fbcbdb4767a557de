package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Erf} against double references: the Maclaurin-type series for erf, a continued fraction for erfc's tail. */
class ErfTest {
    /** erf by the all-positive series 2/sqrt(pi) e^(-x^2) sum (2x^2)^n x / (2n+1)!! (accurate to ~1e-15 for |x| &lt;= 6). */
    static double erfSeries(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 500; n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (Math.abs(term) < 1e-18 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    /** erfc(x) for x &gt;= 2 by Laplace's continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
    static double erfcTail(double x) {
        double f = x;
        for (int k = 300; k >= 1; k--) {
            f = x + (k / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    @Test
    void erfcHasFloat32RelativePrecisionEverywhere() {
        double worst = 0;
        double at = 0;
        for (double x = -6; x <= 9; x += 1.0 / 1024) {
            double ref = x < 2 ? 1 - erfSeries(x) : erfcTail(x);
            double rel = Math.abs(Erf.erfc(x) - ref) / ref;
            if (rel > worst) {
                worst = rel;
                at = x;
            }
        }
        double w = worst;
        double a = at;
        assertTrue(worst < 1.3e-7, () -> "erfc relative error " + w + " at " + a);
    }

    @Test
    void erfIsAccurateNearZeroAndSaturates() {
        for (double x = -6; x <= 6; x += 1.0 / 512) {
            double ref = erfSeries(x);
            double err = Math.abs(Erf.erf(x) - ref);
            double limit = Math.abs(x) < 0.5 ? 1e-15 * Math.abs(ref) + 1e-300 : 1.3e-7;
            double xx = x;
            assertTrue(err <= limit, () -> "erf(" + xx + ") off by " + err);
        }
        assertEquals(1e-8 * 2 / Math.sqrt(Math.PI), Erf.erf(1e-8), 1e-23);
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)) && Double.isNaN(Erf.erfc(Double.NaN)));
    }
}
