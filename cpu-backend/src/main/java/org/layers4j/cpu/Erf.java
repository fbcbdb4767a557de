package org.layers4j.cpu;

/**
 * erf and erfc in double, accurate to float32 (Java has none): near 0 the Maclaurin series of erf
 * (double-accurate for |x| &lt; 0.5), elsewhere the Chebyshev fit of erfc in Numerical Recipes (section
 * 6.2), whose relative error is below 1.2e-7 everywhere, so erfc of a large argument (GELU's negative
 * tail) keeps its relative precision instead of losing it to 1 - erf.
 */
final class Erf {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private Erf() {
    }

    /** erf(x); NaN for NaN, ±1 at ±infinity. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 0.5) {
            return series(x);
        }
        double c = cheb(ax);
        return x > 0 ? 1 - c : c - 1;
    }

    /** erfc(x) = 1 - erf(x), with its relative precision for large x; 0 at +infinity, 2 at -infinity. */
    static double erfc(double x) {
        double ax = Math.abs(x);
        if (ax < 0.5) {
            return 1 - series(x);
        }
        double c = cheb(ax);
        return x > 0 ? c : 2 - c;
    }

    /** erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)) for |x| &lt; 0.5 (terms below 1e-17 after 12). */
    private static double series(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 14; n++) {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(z) for z &gt;= 0 (NaN for NaN, 0 at infinity), Numerical Recipes' erfcc. */
    private static double cheb(double z) {
        double t = 1.0 / (1.0 + 0.5 * z);
        double p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return z == Double.POSITIVE_INFINITY ? 0 : t * Math.exp(-z * z + p);
    }
}
