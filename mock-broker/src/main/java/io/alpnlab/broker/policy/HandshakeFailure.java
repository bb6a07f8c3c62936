package io.alpnlab.broker.policy;

/**
 * What is known when a handshake ends with a fatal alert the policy did not itself decide on: Bouncy
 * Castle raised it, or the client sent it.
 *
 * @param alert the alert description
 * @param sentByClient true when the client sent the alert, false when the server raised it
 * @param lastHandshakeMessageReceived the type of the last handshake message received, or -1
 * @param certificateRequestSent whether a CertificateRequest was sent
 * @param serverFlightSent whether the server's first flight (ServerHello onwards) was sent
 * @param misbehaviours what the server was doing on purpose
 * @param message the exception text, if any
 * @param maxFragmentLength the client's max_fragment_length code (1..4), or null when it offered none
 */
public record HandshakeFailure(short alert, boolean sentByClient, short lastHandshakeMessageReceived,
        boolean certificateRequestSent, boolean serverFlightSent, Misbehaviours misbehaviours, String message,
        Integer maxFragmentLength) {
}
