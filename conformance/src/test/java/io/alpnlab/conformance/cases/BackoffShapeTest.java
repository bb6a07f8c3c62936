package io.alpnlab.conformance.cases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The backoff test's error rates, measured on the retry schedules real clients use: what a
 * conforming client risks (a false FAIL) and what a defective one gets (always FAIL). Seeded, so a
 * rate that drifts past its bound is a change in the test, not luck. Gaps are in milliseconds at the
 * suite's default time scale (0.05), with up to 2 ms of scheduling noise, as the broker measures them.
 */
class BackoffShapeTest {

    private static final double SCALE = 0.05;
    private static final int RUNS = 50_000;

    private final Random random = new Random(20261202L);

    /** One schedule: the delay (at time scale 1, in ms) before retry k = 0, 1, ... */
    private List<Long> schedule(IntToDoubleFunction delayMillis) {
        List<Long> gaps = new ArrayList<>();
        for (int k = 0; k < BackoffShape.GAPS; k++) {
            gaps.add(Math.round(delayMillis.applyAsDouble(k) * SCALE + random.nextDouble() * 2));
        }
        return gaps;
    }

    private double failureRate(IntToDoubleFunction delayMillis) {
        int failures = 0;
        for (int run = 0; run < RUNS; run++) {
            BackoffShape shape = BackoffShape.of(schedule(delayMillis), SCALE);
            if (shape.shape() == BackoffShape.Shape.NOT_GROWING || shape.shape() == BackoffShape.Shape.IMMEDIATE) {
                failures++;
            }
        }
        return (double) failures / RUNS;
    }

    private double fullJitter(int k, double baseMillis, double capMillis) {
        // aws-c-mqtt's MQTT 5 client: min(cap, random in [0, base x 2^k]).
        return Math.min(capMillis, random.nextDouble() * baseMillis * Math.pow(2, k));
    }

    @Test
    void aws_sdk_full_jitter_fails_less_than_once_in_a_thousand() {
        double rate = failureRate(k -> fullJitter(k, 1_000, 120_000));
        assertTrue(rate < 0.001, "AWS SDK v2 full jitter (1 s to 120 s) failed " + rate);
    }

    @Test
    void freertos_and_reference_schedules_fail_less_than_once_in_a_thousand() {
        // The reference client: 500 ms doubling to 120 s; a 30 s cap reached within the window.
        assertTrue(failureRate(k -> fullJitter(k, 500, 120_000)) < 0.001, "reference full jitter");
        assertTrue(failureRate(k -> fullJitter(k, 1_000, 30_000)) < 0.001, "full jitter capped at 30 s");
        // Equal jitter (AWS architecture blog): half fixed, half random.
        assertTrue(failureRate(k -> 500 * Math.pow(2, k) * (1 + random.nextDouble())) < 0.001, "equal jitter");
    }

    @ParameterizedTest(name = "linear from {0} ms in steps of {1} ms fails every time")
    @CsvSource({"0, 1000", "100, 1000", "1000, 1000", "5000, 1000", "0, 5000", "30000, 2000"})
    void linear_schedules_always_fail(double offset, double step) {
        assertEquals(1.0, failureRate(k -> offset + step * k));
    }

    @ParameterizedTest(name = "constant {0} ms fails every time")
    @CsvSource({"0", "5", "1000", "5000", "30000"})
    void constant_and_immediate_schedules_always_fail(double delay) {
        assertEquals(1.0, failureRate(k -> delay));
    }

    /** An immediate retry on a loaded machine: each gap is only scheduling noise, 10 to 100 ms whatever the scale. */
    @Test
    void immediate_retries_under_load_noise_always_fail() {
        for (int run = 0; run < RUNS; run++) {
            List<Long> gaps = new ArrayList<>();
            for (int k = 0; k < BackoffShape.GAPS; k++) {
                gaps.add(10L + random.nextInt(91));
            }
            assertEquals(BackoffShape.Shape.IMMEDIATE, BackoffShape.of(gaps, SCALE).shape(), gaps.toString());
        }
    }

    @Test
    void exponential_without_jitter_is_a_warning_not_a_failure() {
        for (double growth : new double[] {1.5, 2, 3}) {
            BackoffShape shape = BackoffShape.of(schedule(k -> 1_000 * Math.pow(growth, k)), SCALE);
            assertEquals(BackoffShape.Shape.EXPONENTIAL_WITHOUT_JITTER, shape.shape(), "x" + growth + ": " + shape.reason());
        }
    }

    @Test
    void the_reason_shows_the_statistic() {
        BackoffShape shape = BackoffShape.of(List.of(250L, 250L, 250L, 250L, 250L, 250L, 250L, 250L), SCALE);
        assertEquals(BackoffShape.Shape.NOT_GROWING, shape.shape());
        assertTrue(shape.reason().startsWith("0 of 21 pairs"), shape.reason());
        assertEquals(List.of(250L, 250L, 250L, 250L, 250L, 250L, 250L, 250L), shape.gapsMillis());
    }

    @Test
    void fewer_gaps_than_the_test_needs_are_refused() {
        assertThrows(IllegalArgumentException.class, () -> BackoffShape.of(List.of(1L, 2L, 4L), 1.0));
    }
}
