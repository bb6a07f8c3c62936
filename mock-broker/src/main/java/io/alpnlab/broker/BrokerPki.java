package io.alpnlab.broker;

import io.alpnlab.certs.Authorities;
import io.alpnlab.certs.Credential;
import io.alpnlab.certs.DeviceCertificateVariant;
import io.alpnlab.certs.KeyType;
import io.alpnlab.certs.Pem;
import io.alpnlab.certs.PkiDirectory;
import io.alpnlab.certs.PkiSettings;
import io.alpnlab.certs.TestPki;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.registry.DeviceStatus;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The broker's test PKI on disk, shared by the command line and the conformance suite: the
 * authorities are generated on first use and kept, and so are the device credentials, so a device
 * given them once keeps working across runs. Server chains are issued in memory on every start.
 *
 * @param pki the PKI, issuing from the kept authorities
 * @param folder the folder, absolute
 * @param deviceCertificates the device certificate files (RSA, then ECC), registered ACTIVE by default
 */
public record BrokerPki(TestPki pki, Path folder, List<Path> deviceCertificates) {

    public static BrokerPki prepare(BrokerSettings settings) {
        Path folder = settings.pkiDir().toAbsolutePath().normalize();
        List<InetAddress> addresses = settings.bind().isLoopbackAddress() || settings.bind().isAnyLocalAddress()
                ? List.of() : List.of(settings.bind());
        PkiSettings pkiSettings = PkiSettings.defaults().withEndpointNames(settings.endpoints()).withIpAddresses(addresses);
        Authorities authorities = PkiDirectory.loadOrCreateAuthorities(folder, pkiSettings, false);
        // The server keys are kept with the authorities: a start then issues its chains without generating RSA keys.
        TestPki pki = TestPki.withAuthorities(pkiSettings, authorities).withServerKeys(PkiDirectory.loadOrCreateServerKeys(folder));
        Path rsa = folder.resolve("device.cert.pem");
        Path ecc = folder.resolve("device-ecc.cert.pem");
        if (!Files.exists(rsa) || !Files.exists(folder.resolve("device.key.pem"))) {
            List<Credential> credentials = List.of(pki.device(), pki.device(DeviceCertificateVariant.VALID, KeyType.EC_P256));
            PkiDirectory.write(folder, pki, credentials, "java -jar mock-broker/target/mock-broker.jar --pki " + folder);
        }
        List<Path> devices = new ArrayList<>(List.of(rsa));
        if (Files.exists(ecc)) {
            devices.add(ecc);
        }
        return new BrokerPki(pki, folder, List.copyOf(devices));
    }

    /** The registry a broker starts with: the settings' registry file, or the device certificates, ACTIVE. */
    public DeviceRegistry registry(BrokerSettings settings) {
        DeviceRegistry registry = new DeviceRegistry();
        if (settings.registry() != null) {
            registry.load(settings.registry());
        } else {
            for (Path file : deviceCertificates) {
                registry.register(Pem.readCertificates(file).get(0), DeviceStatus.ACTIVE);
            }
        }
        return registry;
    }

    public Path trustBundle() {
        return folder.resolve(PkiDirectory.TRUST_BUNDLE);
    }

    public Path deviceCertificate() {
        return deviceCertificates.get(0);
    }

    public Path deviceKey() {
        return folder.resolve("device.key.pem");
    }
}
