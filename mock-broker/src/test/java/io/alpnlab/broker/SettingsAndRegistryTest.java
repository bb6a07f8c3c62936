package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.certs.Pem;
import io.alpnlab.certs.ServerChainVariant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings, misbehaviour names and registry files: bad input is an error naming what was wrong. */
class SettingsAndRegistryTest {

    @TempDir
    Path dir;

    @Test
    void broker_properties_set_every_switch() {
        BrokerSettings settings = BrokerSettings.fromProperties(Map.of("broker.sni", "lenient", "broker.alpn", "strict",
                "broker.registry-check", "in-handshake", "broker.unauthorized-connect", "connack-7", "broker.port.multiplex-443",
                "10443", "broker.misbehave", "serve-chain=expired,withhold-connack", "broker.time-scale", "0.5",
                "other.key", "ignored"));
        assertEquals(Profile.SniMode.LENIENT, settings.profile().sni());
        assertEquals(Profile.AlpnMode.STRICT, settings.profile().alpn());
        assertEquals(Profile.RegistryCheck.IN_HANDSHAKE, settings.profile().registryCheck());
        assertEquals(Profile.UnauthorizedConnect.CONNACK_7, settings.profile().unauthorizedConnect());
        assertEquals(10443, settings.ports().get(ListenerRole.MULTIPLEX_443));
        assertEquals(ServerChainVariant.EXPIRED, settings.misbehaviours().serveChain());
        assertTrue(settings.misbehaviours().on(Misbehaviour.WITHHOLD_CONNACK));
        assertEquals(Duration.ofMillis(5), settings.timing().scaled(Duration.ofMillis(10)));
        assertTrue(settings.bind().isLoopbackAddress(), "loopback by default");
    }

    @Test
    void unknown_keys_and_bad_values_are_errors_naming_them() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> BrokerSettings.fromProperties(Map.of("broker.sin", "x")));
        assertTrue(unknown.getMessage().contains("unknown setting 'broker.sin'"), unknown.getMessage());
        var port = assertThrows(IllegalArgumentException.class,
                () -> BrokerSettings.fromProperties(Map.of("broker.port.mqtt-8883", "70000")));
        assertTrue(port.getMessage().contains("broker.port.mqtt-8883 must be within -1..65535"), port.getMessage());
        var scale = assertThrows(IllegalArgumentException.class, () -> BrokerSettings.fromProperties(Map.of("broker.time-scale", "2")));
        assertTrue(scale.getMessage().contains("broker.time-scale"), scale.getMessage());
        var bind = assertThrows(IllegalArgumentException.class, () -> BrokerSettings.fromProperties(Map.of("broker.bind", "localhost")));
        assertTrue(bind.getMessage().contains("'localhost' is not an IP address"), bind.getMessage());
        var misbehave = assertThrows(IllegalArgumentException.class,
                () -> BrokerSettings.fromProperties(Map.of("broker.misbehave", "serve-chain")));
        assertTrue(misbehave.getMessage().contains("needs a value"), misbehave.getMessage());
    }

    @Test
    void misbehaviours_round_trip_through_their_names() {
        Misbehaviours all = Misbehaviours.parse(List.of("serve-chain=large-plus-20", "split-handshake-records",
                "select-no-alpn", "withhold-certificate-request", "delay-server-hello=250", "close-after-server-hello",
                "alert-mid-handshake", "withhold-connack", "withhold-puback", "withhold-suback", "withhold-pingresp",
                "disconnect-after=1000", "disconnect-after-packets=3", "refuse-first-connections=2"));
        assertEquals(all, Misbehaviours.parse(all.describe()));
        assertEquals(14, all.describe().size());
        var conflict = assertThrows(IllegalArgumentException.class,
                () -> Misbehaviours.parse(List.of("select-no-alpn", "select-unoffered-alpn")));
        assertTrue(conflict.getMessage().contains("exclude each other"));
    }

    @Test
    void registry_file_registers_certificates_with_status_thing_and_policy() throws Exception {
        Files.writeString(dir.resolve("device.cert.pem"), Pem.encode(List.of(BrokerFixture.pki().device().leaf())));
        Files.writeString(dir.resolve("registry.json"), """
                {"devices": [
                   {"certificateFile": "device.cert.pem", "status": "INACTIVE", "thingName": "kitchen",
                    "policy": {"connect": ["kitchen"], "publish": ["k/*"], "subscribe": []}}],
                 "customAuthorizers": [{"name": "a", "username": "u", "password": "p"}]}
                """);
        DeviceRegistry registry = new DeviceRegistry();
        registry.load(dir);
        var device = registry.lookup(BrokerFixture.pki().device().leafFingerprint()).orElseThrow();
        assertEquals(DeviceStatus.INACTIVE, device.status(), "registry.json applies after the folder's certificates");
        assertEquals("kitchen", device.thingName());
        assertTrue(device.policy().allowsPublish("k/temp", Map.of()));
        assertTrue(registry.authorize("u", "p").isPresent());
    }

    @Test
    void bad_registry_files_name_the_entry_and_change_nothing() throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"devices\": [{\"fingerprint\": \"" + "ab".repeat(32) + "\"}, {\"status\": \"ACTIVE\"}]}");
        DeviceRegistry registry = new DeviceRegistry();
        var error = assertThrows(IllegalArgumentException.class, () -> registry.load(file));
        assertTrue(error.getMessage().contains("devices[1]: needs certificateFile or fingerprint"), error.getMessage());
        assertEquals(0, registry.devices().size(), "all or nothing");
        Files.writeString(file, "{\"devices\": [{\"fingerprint\": \"" + "ab".repeat(32) + "\", \"status\": \"ENABLED\"}]}");
        var status = assertThrows(IllegalArgumentException.class, () -> registry.load(file));
        assertTrue(status.getMessage().contains("status 'ENABLED' is not one of"), status.getMessage());
        Files.writeString(file, "{not json");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> registry.load(file)).getMessage().contains("not valid JSON"));
    }
}
