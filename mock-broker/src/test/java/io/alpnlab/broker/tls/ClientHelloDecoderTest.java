package io.alpnlab.broker.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.policy.ClientHelloFacts;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientHelloDecoderTest {

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        u16(out, type);
        u16(out, data.length);
        out.writeBytes(data);
    }

    /** ClientHello body: the given extensions in the given order after a fixed TLS 1.2 prefix. */
    private static byte[] body(byte[] extensions) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, 0x0303);                    // legacy_version
        body.writeBytes(new byte[32]);        // random
        body.write(0);                        // empty session id
        u16(body, 4);                         // two cipher suites
        u16(body, 0x1301);
        u16(body, 0xc02f);
        body.write(1);                        // one compression method
        body.write(0);                        // null
        if (extensions != null) {
            u16(body, extensions.length);
            body.writeBytes(extensions);
        }
        return body.toByteArray();
    }

    private static byte[] alpn(byte[]... names) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (byte[] name : names) {
            list.write(name.length);
            list.writeBytes(name);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        u16(data, list.size());
        data.writeBytes(list.toByteArray());
        return data.toByteArray();
    }

    private static byte[] sni(String host) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        u16(data, name.length + 3);           // server_name_list length
        data.write(0);                        // host_name
        u16(data, name.length);
        data.writeBytes(name);
        return data.toByteArray();
    }

    @Test
    void decodes_extensions_in_wire_order_with_sni_alpn_and_versions() throws Exception {
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        extension(extensions, 16, alpn("x-amzn-mqtt-ca".getBytes(StandardCharsets.US_ASCII)));
        extension(extensions, 0, sni("a-ats.iot.example"));
        extension(extensions, 43, new byte[] {4, 0x03, 0x04, 0x03, 0x03});   // supported_versions: 1.3, 1.2
        extension(extensions, 28, new byte[] {0x10, 0x00});                 // record_size_limit 4096
        extension(extensions, 1, new byte[] {2});                           // max_fragment_length 2^10
        ClientHelloFacts facts = ClientHelloDecoder.decode(body(extensions.toByteArray()));
        assertEquals(List.of(16, 0, 43, 28, 1), facts.extensionTypes());
        assertEquals("a-ats.iot.example", facts.serverName());
        assertEquals(List.of("x-amzn-mqtt-ca"), facts.alpnNames());
        assertEquals(List.of(0x0304, 0x0303), facts.offeredVersions());
        assertEquals(List.of(0x1301, 0xc02f), facts.cipherSuites());
        assertEquals(4096, facts.recordSizeLimit());
        assertEquals(2, facts.maxFragmentLength());
    }

    @Test
    void alpn_bytes_outside_printable_ascii_are_escaped_so_the_wire_format_bug_shows() throws Exception {
        byte[] prefixed = ("\u000ex-amzn-mqtt-ca").getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        extension(extensions, 16, alpn(prefixed));
        ClientHelloFacts facts = ClientHelloDecoder.decode(body(extensions.toByteArray()));
        assertEquals(List.of("\\x0ex-amzn-mqtt-ca"), facts.alpnNames());
    }

    @Test
    void a_client_hello_without_extensions_has_no_sni_and_no_alpn() throws Exception {
        ClientHelloFacts facts = ClientHelloDecoder.decode(body(null));
        assertNull(facts.serverName());
        assertNull(facts.alpnNames());
        assertEquals(List.of(0x0303, 0x0302, 0x0301), facts.offeredVersions());
    }

    @Test
    void malformed_fields_are_named() {
        byte[] truncated = java.util.Arrays.copyOf(body(null), 20);
        var error = assertThrows(ClientHelloDecoder.MalformedClientHelloException.class, () -> ClientHelloDecoder.decode(truncated));
        assertTrue(error.getMessage().contains("random needs 32 bytes"), error.getMessage());

        ByteArrayOutputStream duplicate = new ByteArrayOutputStream();
        extension(duplicate, 0, sni("a"));
        extension(duplicate, 0, sni("b"));
        var twice = assertThrows(ClientHelloDecoder.MalformedClientHelloException.class,
                () -> ClientHelloDecoder.decode(body(duplicate.toByteArray())));
        assertTrue(twice.getMessage().contains("extension 0 appears twice"), twice.getMessage());
    }
}
