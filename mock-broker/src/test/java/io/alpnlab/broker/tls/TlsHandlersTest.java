package io.alpnlab.broker.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.HandlerHarness;
import io.alpnlab.certs.ServerChainVariant;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.junit.jupiter.api.Test;

/** Each TLS handler at its job, driven through an EmbeddedChannel with real Bouncy Castle handshakes. */
class TlsHandlersTest {

    private final HandlerHarness harness = new HandlerHarness();
    private final List<Object> events = new ArrayList<>();

    private static byte[] bytes(ByteBuf buffer) {
        byte[] bytes = ByteBufUtil.getBytes(buffer);
        buffer.release();
        return bytes;
    }

    /** Everything the channel wrote to the socket so far, as one buffer. */
    private static ByteBuf written(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            all.writeBytes(out);
            out.release();
        }
        return all;
    }

    @Test
    void record_meter_counts_records_however_tcp_cuts_them_and_passes_bytes_unchanged() {
        EmbeddedChannel channel = HandlerHarness.channel(events, new TlsRecordMeter(harness.observation));
        // Two handshake records (type 22, version 3.3, lengths 3 and 1), cut in the middle of the second header.
        byte[] stream = {22, 3, 3, 0, 3, 1, 2, 3, 22, 3, 3, 0, 1, 9};
        channel.writeInbound(Unpooled.wrappedBuffer(stream, 0, 10));
        channel.writeInbound(Unpooled.wrappedBuffer(stream, 10, 4));
        ByteBuf passed = Unpooled.buffer();
        for (ByteBuf in = channel.readInbound(); in != null; in = channel.readInbound()) {
            passed.writeBytes(in);
            in.release();
        }
        assertArrayEquals(stream, bytes(passed));
        ConnectionRecord.Traffic traffic = harness.observation.snapshot(false).traffic();
        assertEquals(14, traffic.bytesIn());
        assertEquals(2, traffic.recordsIn());
    }

    @Test
    void record_meter_refuses_a_plain_mqtt_connect_and_closes() {
        EmbeddedChannel channel = HandlerHarness.channel(events, new TlsRecordMeter(harness.observation));
        // MQTT CONNECT fixed header (0x10, remaining length 12) then "MQTT": no TLS record starts with 0x10.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T'}));
        ConnectionRefusedEvent refused = (ConnectionRefusedEvent) events.get(0);
        assertEquals(Rule.TLS_HS_02, refused.refusal().rule());
        assertTrue(refused.refusal().detail().contains("looks like a plain MQTT CONNECT"), refused.refusal().detail());
        assertFalse(channel.isOpen());
        assertNull(channel.readInbound());
    }

    @Test
    void record_meter_announces_the_server_hello_once() {
        EmbeddedChannel channel = HandlerHarness.channel(events, new TlsRecordMeter(harness.observation));
        // A handshake record whose first message is a ServerHello (type 2), then an application-data record.
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {22, 3, 3, 0, 2, 2, 0, 23, 3, 3, 0, 1, 2}));
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {22, 3, 3, 0, 1, 2}));
        assertEquals(List.of(ServerHelloSentEvent.INSTANCE), events);
        assertEquals(3, harness.observation.snapshot(false).traffic().recordsOut());
        written(channel).release();
    }

    @Test
    void client_hello_gate_decides_once_on_a_hello_split_over_records_then_steps_aside() throws IOException {
        ClientHelloGate gate = new ClientHelloGate(ListenerRole.MULTIPLEX_443, harness.broker.profile(), Misbehaviours.NONE);
        EmbeddedChannel channel = HandlerHarness.channel(events, gate);
        byte[] record = bytes(new BcTestClient(BrokerFixture.ENDPOINT, List.of("x-amzn-mqtt-ca")).output());
        // Re-cut the one ClientHello record into three records of the same content type and version.
        byte[] fragment = java.util.Arrays.copyOfRange(record, 5, record.length);
        ByteBuf split = Unpooled.buffer();
        int[] cuts = {0, 10, 40, fragment.length};
        for (int i = 0; i < 3; i++) {
            split.writeBytes(new byte[] {22, record[1], record[2]}).writeShort(cuts[i + 1] - cuts[i])
                    .writeBytes(fragment, cuts[i], cuts[i + 1] - cuts[i]);
        }
        byte[] sent = ByteBufUtil.getBytes(split);
        channel.writeInbound(split);
        ClientHelloDecidedEvent decided = (ClientHelloDecidedEvent) events.get(0);
        assertEquals(1, events.size());
        assertEquals(Application.MQTT_X509, decided.decision().application());
        assertEquals(Rule.TLS_ALPN_01, decided.decision().acceptedBy());
        assertEquals(BrokerFixture.ENDPOINT, decided.hello().serverName());
        assertNull(channel.pipeline().get(ClientHelloGate.NAME), "the gate removes itself");
        ByteBuf forwarded = channel.readInbound();
        assertArrayEquals(sent, bytes(forwarded), "the held bytes go on unchanged, for Bouncy Castle");
    }

    @Test
    void client_hello_gate_refuses_an_oversized_hello_from_its_declared_length() {
        EmbeddedChannel channel = HandlerHarness.channel(events, new ClientHelloGate(ListenerRole.MQTT_8883,
                harness.broker.profile(), Misbehaviours.NONE));
        // Record header, then a ClientHello header declaring 100,000 bytes (0x0186a0); nothing else arrives.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {22, 3, 1, 0, 4, 1, 0x01, (byte) 0x86, (byte) 0xa0}));
        ClientHelloDecidedEvent decided = (ClientHelloDecidedEvent) events.stream()
                .filter(ClientHelloDecidedEvent.class::isInstance).findFirst().orElseThrow();
        assertEquals(Rule.TLS_HS_02, decided.decision().refusal().rule());
        assertTrue(decided.error().contains("100000 bytes exceeds the limit"), decided.error());
        assertFalse(channel.isOpen());
    }

    @Test
    void record_writer_splits_plaintext_handshake_records_and_leaves_others_whole() {
        Misbehaviours plan = Misbehaviours.NONE.with(Misbehaviour.SPLIT_HANDSHAKE_RECORDS, true);
        EmbeddedChannel channel = HandlerHarness.channel(events, new MisbehavingRecordWriter(plan));
        ByteBuf records = Unpooled.buffer();
        records.writeBytes(new byte[] {22, 3, 3}).writeShort(150).writeZero(150); // handshake, 150 bytes
        records.writeBytes(new byte[] {23, 3, 3}).writeShort(100).writeZero(100); // application data, 100 bytes
        channel.writeAndFlush(records);
        ByteBuf out = written(channel);
        List<Integer> lengths = new ArrayList<>();
        while (out.isReadable()) {
            out.skipBytes(3);
            int length = out.readUnsignedShort();
            lengths.add(length);
            out.skipBytes(length);
        }
        out.release();
        assertEquals(List.of(64, 64, 22, 100), lengths);
    }

    @Test
    void record_writer_cuts_the_connection_after_the_server_hello() {
        Misbehaviours plan = Misbehaviours.NONE.with(Misbehaviour.CLOSE_AFTER_SERVER_HELLO, true);
        EmbeddedChannel channel = HandlerHarness.channel(events, new MisbehavingRecordWriter(plan));
        ByteBuf records = Unpooled.buffer();
        records.writeBytes(new byte[] {22, 3, 3, 0, 4, 2, 0, 0, 0}); // ServerHello (type 2)
        records.writeBytes(new byte[] {22, 3, 3, 0, 4, 11, 0, 0, 0}); // Certificate (type 11): never sent
        channel.writeAndFlush(records);
        ByteBuf out = written(channel);
        assertEquals(9, out.readableBytes());
        out.release();
        assertEquals(Rule.TLS_HS_03, ((ConnectionRefusedEvent) events.get(0)).refusal().rule());
        assertFalse(channel.isOpen());
    }

    /** The BC adapter and the verdict handler together: a whole handshake, then application data both ways. */
    @Test
    void bc_adapter_completes_a_handshake_and_the_verdict_names_the_route() throws IOException {
        TlsConnection connection = new TlsConnection(ListenerRole.MULTIPLEX_443, harness.broker.profile(), Misbehaviours.NONE,
                harness.observation, harness.broker.registry(), HandlerHarness.credentials(), harness.broker.clock());
        EmbeddedChannel channel = HandlerHarness.channel(events, new ClientHelloGate(ListenerRole.MULTIPLEX_443,
                harness.broker.profile(), Misbehaviours.NONE), new BcTlsHandler(connection),
                new ConnectionVerdictHandler(harness.broker, harness.observation, Misbehaviours.NONE));
        BcTestClient client = new BcTestClient(BrokerFixture.ENDPOINT, List.of());
        for (int round = 0; round < 5 && !client.isConnected(); round++) {
            channel.writeInbound(client.output());
            client.offer(written(channel));
        }
        assertTrue(client.isConnected(), "handshake completed");
        channel.writeInbound(client.output()); // the client's Finished
        assertFalse(client.certificateRequested(), "no CertificateRequest on 443 without ALPN");
        TlsEstablished established = (TlsEstablished) events.stream().filter(TlsEstablished.class::isInstance).findFirst()
                .orElseThrow();
        assertEquals(Application.UNAUTHENTICATED_443, established.application());
        assertEquals(Rule.TLS_ALPN_03.id(), harness.observation.snapshot(false).verdict().rule());

        client.send("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        channel.writeInbound(client.output());
        ByteBuf plaintext = channel.readInbound();
        assertEquals("ping", plaintext.toString(java.nio.charset.StandardCharsets.US_ASCII));
        plaintext.release();
        channel.writeAndFlush(Unpooled.copiedBuffer("pong", java.nio.charset.StandardCharsets.US_ASCII));
        client.offer(written(channel));
        assertEquals("pong", new String(client.received(), java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void bc_adapter_reports_the_clients_fatal_alert_and_the_verdict_explains_it() throws IOException {
        Misbehaviours plan = Misbehaviours.NONE.with(Misbehaviour.SERVE_CHAIN, ServerChainVariant.EXPIRED);
        Misbehaviours expired = plan;
        TlsConnection connection = new TlsConnection(ListenerRole.MQTT_8883, harness.broker.profile(), expired,
                harness.observation, harness.broker.registry(), HandlerHarness.credentials(), harness.broker.clock());
        EmbeddedChannel channel = HandlerHarness.channel(events, new ClientHelloGate(ListenerRole.MQTT_8883,
                harness.broker.profile(), expired), new BcTlsHandler(connection),
                new ConnectionVerdictHandler(harness.broker, harness.observation, expired));
        BcTestClient client = new BcTestClient(BrokerFixture.ENDPOINT, List.of());
        channel.writeInbound(client.output());
        written(channel).release();
        // A fatal certificate_expired alert record from the client (plaintext, before its keys are in use).
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {21, 3, 3, 0, 2, 2, (byte) AlertDescription.certificate_expired}));
        TlsFailedEvent failed = (TlsFailedEvent) events.stream().filter(TlsFailedEvent.class::isInstance).findFirst()
                .orElseThrow();
        assertTrue(failed.sentByClient());
        ConnectionRecord record = harness.observation.snapshot(false);
        assertEquals(Rule.TLS_VERIFY_01.id(), record.verdict().rule());
        assertEquals("PASS", record.check("TLS-VERIFY-01").orElseThrow().outcome().name());
        assertFalse(channel.isOpen());
    }

    @Test
    void verdict_handler_refuses_a_handshake_that_misses_its_deadline() throws InterruptedException {
        EmbeddedChannel channel = HandlerHarness.channel(events,
                new ConnectionVerdictHandler(harness.broker, harness.observation, Misbehaviours.NONE));
        Thread.sleep(HandlerHarness.FAST.handshakeTimeout().plus(Duration.ofMillis(100)).toMillis());
        channel.runPendingTasks();
        ConnectionRecord record = harness.observation.snapshot(false);
        assertNotNull(record.verdict());
        assertEquals(Rule.TLS_HS_01.id(), record.verdict().rule());
        assertTrue(record.verdict().detail().contains("ClientHello not complete (0 bytes received)"), record.verdict().detail());
        assertFalse(channel.isOpen());
    }
}
