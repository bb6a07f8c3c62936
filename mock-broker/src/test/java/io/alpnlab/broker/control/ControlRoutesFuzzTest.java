package io.alpnlab.broker.control;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.alpnlab.broker.testing.HandlerHarness;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * The control endpoint's request handling, fuzzed: any method, path and body get an answer or a 4xx
 * with a reason ({@link ControlRoutes.BadRequest}, {@link IllegalArgumentException}); nothing else may
 * escape, and nothing may take the broker down (the count that once allocated until OutOfMemoryError
 * is capped and validated).
 */
class ControlRoutesFuzzTest {

    private static final List<HttpMethod> METHODS = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE);
    private static final List<String> PATHS = List.of("/health", "/connections", "/registry", "/behaviours",
            "/behaviours/defaults", "/behaviours/next", "/profile", "/registry/");
    private static final ControlRoutes ROUTES = new ControlRoutes(new HandlerHarness().broker);

    @FuzzTest(maxDuration = "5s")
    void any_request_is_answered_or_refused_with_a_reason(FuzzedDataProvider data) {
        HttpMethod method = data.pickValue(METHODS);
        String path = data.pickValue(PATHS) + data.consumeString(40);
        String body = data.consumeRemainingAsString();
        try {
            ROUTES.handle(method, new QueryStringDecoder(path), body);
        } catch (ControlRoutes.BadRequest | IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal must say what was wrong", refused);
            }
        } finally {
            // A fuzzed POST /behaviours/next must not pile up across inputs.
            ROUTES.handle(HttpMethod.DELETE, new QueryStringDecoder("/behaviours"), "");
        }
    }
}
