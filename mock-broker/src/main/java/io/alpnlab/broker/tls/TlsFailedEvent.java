package io.alpnlab.broker.tls;

/**
 * Fired by {@link BcTlsHandler} when Bouncy Castle ends the connection with a fatal alert, raised by
 * itself or received from the client.
 *
 * @param alert the alert description
 * @param sentByClient true when the client sent the alert
 * @param handshakeComplete whether the handshake had completed before
 * @param lastHandshakeMessageReceived the type of the last handshake message received, or -1
 * @param message the failure's text, or null
 */
public record TlsFailedEvent(short alert, boolean sentByClient, boolean handshakeComplete, short lastHandshakeMessageReceived,
        String message) {
}
