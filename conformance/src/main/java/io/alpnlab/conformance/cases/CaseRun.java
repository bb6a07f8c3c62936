package io.alpnlab.conformance.cases;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import java.util.List;

/**
 * Everything a judge sees about one case: the task given, what the client reported, and every
 * connection record the broker made while the case ran (oldest first).
 */
public record CaseRun(ConformanceCase conformanceCase, ClientTask task, ClientReport report, List<ConnectionRecord> records) {

    public CaseRun {
        records = List.copyOf(records);
    }

    /** The first connection that reached the broker, or null when none did. */
    public ConnectionRecord first() {
        return records.isEmpty() ? null : records.get(0);
    }

    /** Connections that carried an MQTT CONNECT. */
    public List<ConnectionRecord> mqttConnections() {
        return records.stream().filter(record -> record.mqtt() != null && record.mqtt().clientId() != null).toList();
    }
}
