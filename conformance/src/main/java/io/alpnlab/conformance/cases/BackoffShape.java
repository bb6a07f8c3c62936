package io.alpnlab.conformance.cases;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of the delays between a client's connection attempts, graded as Device Advisor grades
 * backoff: exponential with jitter passes, exponential without jitter warns (every device retries in
 * step), constant, linear or immediate retries fail.
 *
 * <p>Full jitter (the AWS SDKs, FreeRTOS backoffAlgorithm: a delay drawn from [0, base x 2^n]) makes
 * any single gap meaningless: a late one may be shorter than an early one. So the test is on the
 * envelope of {@value #GAPS} gaps, with a stated error rate:
 * <ol>
 * <li>IMMEDIATE: no gap reaches {@link #IMMEDIATE_CEILING_MILLIS} ms (scaled), nor {@link #NOISE_FLOOR_MILLIS} ms,
 * the most a loaded machine adds to a gap (a client noticing a close, opening a socket): no real wait at all.
 * <li>WITHOUT JITTER: every ratio of successive gaps is within {@link #STEADY_RATIO_TOLERANCE} of their
 * geometric mean, and that mean is at least {@link #MIN_GROWTH_WITHOUT_JITTER}: exponential in lock step.
 * <li>Otherwise each gap after the first (a client may retry once at once) is divided by
 * {@value #NORMALISING_GROWTH}^k, its retry number k. Exponential backoff with any multiplicative jitter
 * and growth of x1.7 or more leaves these values without a downward trend (doubling gives an upward
 * one); constant and linear delays, with or without an offset, make them fall strictly. The statistic is
 * the number of rising pairs (j &lt; k with a larger value at k) among the 7 values (21 pairs): at
 * most {@value #MAX_RISING_PAIRS_OF_A_FAILURE} is a FAIL. A deterministic constant or linear sequence
 * has at most 2 (linear delays starting from zero), so each fails every time; AWS SDK v2's full jitter (1 s
 * doubling to 120 s) fails about twice in 10,000 runs, as {@code BackoffShapeTest} measures.
 * </ol>
 */
public record BackoffShape(Shape shape, List<Long> gapsMillis, int risingPairs, String reason) {

    public enum Shape { JITTERED_EXPONENTIAL, EXPONENTIAL_WITHOUT_JITTER, NOT_GROWING, IMMEDIATE }

    /** Gaps the test needs: 9 connection attempts (Device Advisor asks for at least 5; fewer cannot tell full jitter from linear). */
    public static final int GAPS = 8;
    static final double NORMALISING_GROWTH = 1.7;
    static final int MAX_RISING_PAIRS_OF_A_FAILURE = 2;
    static final double STEADY_RATIO_TOLERANCE = 0.2;
    /** Below x1.5 with a margin for the milliseconds of noise the broker measures. */
    static final double MIN_GROWTH_WITHOUT_JITTER = 1.4;
    /** At time scale 1: AWS throttles CONNECTs for one client ID to 1 per second. */
    static final long IMMEDIATE_CEILING_MILLIS = 1_000;
    /**
     * At any time scale: what scheduling alone can make of an immediate retry on a loaded 2-core machine
     * (up to 73 ms measured). Full jitter from 500 ms keeps all 8 gaps under it with probability 2e-4.
     */
    static final long NOISE_FLOOR_MILLIS = 150;

    public BackoffShape {
        gapsMillis = List.copyOf(gapsMillis);
    }

    /**
     * Grades the first {@value #GAPS} gaps.
     *
     * @param gapsMillis delays between one attempt's end and the next one's start, oldest first
     * @param timeScale the factor the client applies to its timers (1 for real time)
     */
    public static BackoffShape of(List<Long> gapsMillis, double timeScale) {
        if (gapsMillis.size() < GAPS) {
            throw new IllegalArgumentException("the backoff test needs " + GAPS + " gaps, got " + gapsMillis.size());
        }
        List<Long> gaps = List.copyOf(gapsMillis.subList(0, GAPS));
        long longest = gaps.stream().mapToLong(Long::longValue).max().orElse(0);
        long immediateCeiling = Math.max(NOISE_FLOOR_MILLIS, Math.round(IMMEDIATE_CEILING_MILLIS * timeScale));
        if (longest < immediateCeiling) {
            return new BackoffShape(Shape.IMMEDIATE, gaps, 0, "no gap reached " + immediateCeiling + " ms: the client retries at"
                    + " once (AWS throttles CONNECT to 1 per second per client ID)");
        }
        double steadyGrowth = steadyGrowth(gaps);
        if (steadyGrowth >= MIN_GROWTH_WITHOUT_JITTER) {
            return new BackoffShape(Shape.EXPONENTIAL_WITHOUT_JITTER, gaps, 0, String.format(java.util.Locale.ROOT,
                    "every gap is %.2f x the one before, without jitter: a fleet that lost its connection together retries"
                            + " together", steadyGrowth));
        }
        int rising = risingPairs(gaps);
        int pairs = (GAPS - 1) * (GAPS - 2) / 2;
        String statistic = rising + " of " + pairs + " pairs of gaps (each divided by " + NORMALISING_GROWTH + "^k) rise";
        if (rising <= MAX_RISING_PAIRS_OF_A_FAILURE) {
            return new BackoffShape(Shape.NOT_GROWING, gaps, rising, statistic + " (at most " + MAX_RISING_PAIRS_OF_A_FAILURE
                    + " is constant, linear or too slow growth; exponential backoff with jitter gives more)");
        }
        return new BackoffShape(Shape.JITTERED_EXPONENTIAL, gaps, rising, statistic + ": the envelope grows exponentially");
    }

    /** The geometric mean of successive ratios when they all agree within the tolerance, else 0. */
    private static double steadyGrowth(List<Long> gaps) {
        List<Double> ratios = new ArrayList<>();
        for (int k = 1; k < gaps.size(); k++) {
            if (gaps.get(k - 1) <= 0) {
                return 0;
            }
            ratios.add((double) gaps.get(k) / gaps.get(k - 1));
        }
        double mean = Math.exp(ratios.stream().mapToDouble(Math::log).average().orElse(0));
        for (double ratio : ratios) {
            if (Math.abs(ratio / mean - 1) > STEADY_RATIO_TOLERANCE) {
                return 0;
            }
        }
        return mean;
    }

    /** Pairs j &lt; k (gaps after the first) whose normalised value rises from j to k. */
    static int risingPairs(List<Long> gaps) {
        double[] normalised = new double[gaps.size() - 1];
        for (int k = 1; k < gaps.size(); k++) {
            normalised[k - 1] = gaps.get(k) / Math.pow(NORMALISING_GROWTH, k);
        }
        int rising = 0;
        for (int j = 0; j < normalised.length; j++) {
            for (int k = j + 1; k < normalised.length; k++) {
                if (normalised[k] > normalised[j]) {
                    rising++;
                }
            }
        }
        return rising;
    }

    public boolean passes() {
        return shape == Shape.JITTERED_EXPONENTIAL;
    }
}
