package io.alpnlab.broker.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.tls.ClientHelloDecoder;
import java.util.List;

/**
 * The ClientHello decoder and the policy behind it, fuzzed: any bytes either decode or are refused as
 * malformed with a reason, and a decoded hello always gets a decision; nothing else may escape (an
 * exception here would reach the pipeline as a bug, not as a verdict). Regression inputs run in every
 * build from {@code src/test/resources/io/alpnlab/broker/fuzz/ClientHelloFuzzTestInputs}; fuzzing is
 * {@code JAZZER_FUZZ=1} (docs/FUZZING.md).
 */
class ClientHelloFuzzTest {

    private static final Profile PROFILE = Profile.awsDefault(List.of("alpnlab-ats.iot.eu-west-1.alpnlab.test"));

    @FuzzTest(maxDuration = "5s")
    void any_bytes_decode_or_are_refused_with_a_reason(byte[] body) {
        ClientHelloFacts hello;
        try {
            hello = ClientHelloDecoder.decode(body);
        } catch (ClientHelloDecoder.MalformedClientHelloException e) {
            if (e.getMessage() == null || e.getMessage().isEmpty()) {
                throw new AssertionError("a malformed hello must say what was wrong", e);
            }
            return;
        }
        for (ListenerRole role : ListenerRole.values()) {
            HelloDecision decision = ConnectionPolicy.onClientHello(role, hello, PROFILE, Misbehaviours.NONE);
            if (decision.refused() == (decision.refusal() == null)) {
                throw new AssertionError("a decision is refused exactly when it has a refusal: " + decision);
            }
            if (decision.refused() && decision.refusal().alert() < 0) {
                throw new AssertionError("a ClientHello refusal names an alert to send: " + decision.refusal());
            }
        }
    }
}
