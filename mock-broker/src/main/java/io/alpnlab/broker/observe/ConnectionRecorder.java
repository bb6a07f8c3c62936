package io.alpnlab.broker.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where finished connection records go: kept in memory for the in-JVM API and the control
 * endpoint, appended to the JSON-lines event log if one is configured, handed to listeners, and
 * logged as one INFO line naming the deciding rule.
 */
public final class ConnectionRecorder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionRecorder.class);
    /** Records kept in memory; older ones remain in the event log. */
    public static final int RETAINED_RECORDS = 10_000;
    /**
     * What the kept records may hold, by an estimate of their size: records are bounded one by one (lists
     * and texts cut, at most 500 MQTT packets), but 10,000 of the largest would still be over a gigabyte.
     */
    public static final long RETAINED_BYTES = 64L * 1024 * 1024;

    public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Deque<ConnectionRecord> records = new ArrayDeque<>();
    private final Deque<Long> recordBytes = new ArrayDeque<>();
    private long retainedBytes;
    private final List<Consumer<ConnectionRecord>> listeners = new CopyOnWriteArrayList<>();
    private final BufferedWriter eventLog;
    /**
     * Every verdict since start, counted by outcome and rule: kept records are bounded and the oldest go,
     * but a user (or the hostile-load test) can still account for every connection.
     */
    private final Map<String, LongAdder> verdictTally = new ConcurrentHashMap<>();

    public ConnectionRecorder(Path eventLogFile) {
        try {
            this.eventLog = eventLogFile == null ? null : Files.newBufferedWriter(eventLogFile, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event log " + eventLogFile, e);
        }
    }

    /** Publishes a finished record. Called once per connection. */
    public void publish(ConnectionRecord record) {
        long bytes = estimatedBytes(record);
        synchronized (records) {
            records.addLast(record);
            recordBytes.addLast(bytes);
            retainedBytes += bytes;
            while (records.size() > RETAINED_RECORDS || retainedBytes > RETAINED_BYTES && records.size() > 1) {
                records.removeFirst();
                retainedBytes -= recordBytes.removeFirst();
            }
            records.notifyAll();
        }
        Verdict verdict = record.verdict();
        verdictTally.computeIfAbsent(verdict.outcome() + " " + verdict.rule(), key -> new LongAdder()).increment();
        LOG.info("conn#{} {} {} {} {}{}: {}", record.id(), record.listener(), record.remoteAddress(), verdict.outcome(),
                verdict.rule(), verdict.alert() == null ? "" : " (alert " + verdict.alert() + ")", verdict.detail());
        if (eventLog != null) {
            try {
                String line = JSON.writeValueAsString(record);
                synchronized (eventLog) {
                    eventLog.write(line);
                    eventLog.newLine();
                    eventLog.flush();
                }
            } catch (IOException e) {
                // The in-memory record and the log line above still hold the verdict; only the file copy is lost.
                LOG.warn("event log write failed for conn#{}: {}", record.id(), e.toString());
            }
        }
        for (Consumer<ConnectionRecord> listener : listeners) {
            listener.accept(record);
        }
    }

    /** How many connections ended with each verdict since start, as "OUTCOME RULE" to count, sorted. */
    public Map<String, Long> verdictTally() {
        Map<String, Long> tally = new TreeMap<>();
        verdictTally.forEach((key, count) -> tally.put(key, count.sum()));
        return tally;
    }

    /** The kept records' estimated size in bytes, at most {@link #RETAINED_BYTES} (or one record's). */
    public long retainedBytes() {
        synchronized (records) {
            return retainedBytes;
        }
    }

    /**
     * A record's size on the heap, estimated from its texts (two bytes a character at most, plus each
     * object's overhead): close enough to bound the total, cheap enough for every record.
     */
    static long estimatedBytes(ConnectionRecord record) {
        long bytes = 2048;
        ConnectionRecord.ClientHelloView hello = record.clientHello();
        if (hello != null) {
            for (List<String> list : java.util.Arrays.asList(hello.supportedVersions(), hello.cipherSuites(), hello.extensions(),
                    hello.alpn(), hello.signatureAlgorithms(), hello.supportedGroups())) {
                if (list != null) {
                    bytes += list.stream().mapToLong(text -> 48 + 2L * text.length()).sum();
                }
            }
            bytes += text(hello.serverName()) + text(hello.error());
        }
        bytes += record.checks().stream().mapToLong(check -> 64 + text(check.detail())).sum();
        bytes += record.alerts().size() * 96L + record.handshakeMessagesReceived().size() * 48L;
        if (record.mqtt() != null) {
            bytes += record.mqtt().packets().stream().mapToLong(packet -> 96 + text(packet.detail())).sum()
                    + text(record.mqtt().clientId()) + text(record.mqtt().username());
        }
        return bytes + text(record.verdict().detail());
    }

    private static long text(String text) {
        return text == null ? 0 : 48 + 2L * text.length();
    }

    public void addListener(Consumer<ConnectionRecord> listener) {
        listeners.add(listener);
    }

    public List<ConnectionRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    public List<ConnectionRecord> recordsAfter(long id) {
        return records().stream().filter(record -> record.id() > id).toList();
    }

    public void clear() {
        synchronized (records) {
            records.clear();
        }
    }

    /** Waits for a finished record matching the predicate (including ones already published). */
    public ConnectionRecord await(Predicate<ConnectionRecord> predicate, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (records) {
            while (true) {
                for (ConnectionRecord record : records) {
                    if (predicate.test(record)) {
                        return record;
                    }
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                records.wait(Math.max(1, remaining / 1_000_000));
            }
        }
    }

    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("record not serialisable", e);
        }
    }

    @Override
    public void close() {
        if (eventLog != null) {
            try {
                eventLog.close();
            } catch (IOException e) {
                LOG.warn("closing the event log failed: {}", e.toString());
            }
        }
    }
}
