package io.alpnlab.broker.tls;

import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.HelloDecision;

/**
 * Fired once by {@link ClientHelloGate} when the first handshake message is in: what it said and
 * what the policy decided, before Bouncy Castle reads a byte of it.
 *
 * @param hello the decoded ClientHello, or null when it could not be decoded or none came first
 * @param decision the policy's decision, or null when the first message was not a ClientHello (BC refuses it)
 * @param error why the ClientHello could not be decoded or was refused unread, or null
 * @param length the ClientHello's length in bytes as declared or received, or 0 when unknown
 * @param alertSent true when the gate wrote the refusal's alert itself (a hello refused from its headers)
 */
public record ClientHelloDecidedEvent(ClientHelloFacts hello, HelloDecision decision, String error, int length,
        boolean alertSent) {

    public ClientHelloDecidedEvent(ClientHelloFacts hello, HelloDecision decision, String error, int length) {
        this(hello, decision, error, length, false);
    }
}
