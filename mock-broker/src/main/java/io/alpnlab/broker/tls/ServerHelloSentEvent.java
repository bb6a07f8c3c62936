package io.alpnlab.broker.tls;

/** Fired by {@link TlsRecordMeter} when the record carrying the ServerHello went to the socket. */
public final class ServerHelloSentEvent {

    public static final ServerHelloSentEvent INSTANCE = new ServerHelloSentEvent();

    private ServerHelloSentEvent() {
    }
}
