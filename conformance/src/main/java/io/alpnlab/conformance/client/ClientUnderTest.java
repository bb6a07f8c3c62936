package io.alpnlab.conformance.client;

/**
 * The client being judged: a library in this JVM, a program, or a device on the network. One
 * method, one task at a time; the suite judges what it reports together with what the broker saw.
 * In-JVM implementations are found by {@link java.util.ServiceLoader} or named by class
 * ({@code conformance.client.class}).
 */
public interface ClientUnderTest extends AutoCloseable {

    /** A short name for reports, e.g. {@code mosquitto_pub 2.0.11}. */
    String name();

    /** The client's version if known, else an empty string. */
    default String version() {
        return "";
    }

    /**
     * Whether the suite may stop this client by interrupting the thread that runs it (the run then ends
     * promptly and leaves nothing running): so that a client the broker keeps refusing for an earlier
     * rule need not retry until the case's time is up.
     */
    default boolean stoppable() {
        return false;
    }

    /**
     * Whether the client applies {@link ClientTask#timeScale()} to its own protocol timers, so that
     * keep-alive and retry cases can run in scaled time. Clients that cannot are judged on those
     * cases only when the suite runs in real time.
     */
    default boolean scalesTime() {
        return false;
    }

    /**
     * Whether several tasks may run at once, each against a broker of its own: so that the cases that
     * mostly wait on timers (keep-alive, reconnect, backoff) run side by side. True only for a client
     * whose runs share nothing (the in-JVM reference client); a device, an agent or a program that may
     * keep state between runs does one task at a time.
     */
    default boolean runsConcurrently() {
        return false;
    }

    /**
     * How the client is built, as it reports it (a device agent's HELLO: TLS library and version, SNI
     * and ALPN support, record buffer sizes); shown in the report and used to explain failures. Empty
     * when the client says nothing.
     */
    default java.util.Map<String, String> configuration() {
        return java.util.Map.of();
    }

    /**
     * The client ID the client uses for a task: the one it is given, unless it derives its own (a described program
     * may say how); the suite waits for and expires sessions by it.
     */
    default String clientIdFor(ClientTask task) {
        return task.clientId();
    }

    /**
     * The actions this client can be told to do; the suite reports the others' cases as not supported without
     * running them. By default the four of the suite's first version, so that a client written before the
     * device-service actions existed (whose run() would do nothing for them and "succeed") is never failed for
     * what it was not built to do; a client that does them says so.
     */
    default java.util.Set<ClientTask.Action> actions() {
        return java.util.EnumSet.of(ClientTask.Action.CONNECT, ClientTask.Action.PUBLISH, ClientTask.Action.SUBSCRIBE,
                ClientTask.Action.STAY_CONNECTED);
    }

    /** Runs the task to its end and reports; must not throw for a client-side failure (report it). */
    ClientReport run(ClientTask task) throws InterruptedException;

    @Override
    default void close() {
    }
}
