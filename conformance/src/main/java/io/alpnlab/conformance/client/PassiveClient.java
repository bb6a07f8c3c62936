package io.alpnlab.conformance.client;

import io.alpnlab.broker.MockBroker;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import java.time.Duration;

/**
 * A device that cannot be told anything: it connects on its own (after a reset, or on its retry
 * schedule). Each case waits for the device's next connection and reports what the broker saw;
 * only cases judgeable from the broker alone run in this mode.
 */
public final class PassiveClient implements ClientUnderTest {

    private final String target;
    private MockBroker broker;

    /** @param target the device's address, to tell its connections from others; null accepts any */
    public PassiveClient(String target) {
        this.target = target == null ? null : target.replaceFirst(":\\d+$", "");
    }

    /** The broker whose records the device's connections show up in. */
    public void attach(MockBroker value) {
        broker = value;
    }

    @Override
    public String name() {
        return "passive device" + (target == null ? "" : " at " + target);
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        if (broker == null) {
            throw new IllegalStateException("passive client used before attach(broker)");
        }
        long start = System.nanoTime();
        long mark = broker.context().lastConnectionId();
        ConnectionRecord record = broker.recorder().await(candidate -> candidate.id() > mark
                && (target == null || candidate.remoteAddress().startsWith(target + ":")), task.timeout());
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (record == null) {
            return ClientReport.notSupported("the device made no connection within " + task.timeout().toSeconds()
                    + " s; reset it so it connects", elapsed);
        }
        if (record.localPort() != task.port()) {
            return ClientReport.notSupported("the device connected to port " + record.localPort() + "; this case is for port "
                    + task.port(), elapsed);
        }
        return record.verdict().outcome() == Verdict.Kind.ACCEPTED
                ? ClientReport.success(java.util.List.of(), "conn#" + record.id(), elapsed)
                : ClientReport.failure(record.verdict().rule(), record.verdict().detail(), "conn#" + record.id(), elapsed);
    }

    /** Every action: it does them all, or answers for itself that it cannot. */
    @Override
    public java.util.Set<ClientTask.Action> actions() {
        return java.util.EnumSet.allOf(ClientTask.Action.class);
    }
}
