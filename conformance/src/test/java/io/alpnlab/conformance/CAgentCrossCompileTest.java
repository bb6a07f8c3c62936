package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C agent's portable core builds for the Pico W's RP2040 (Cortex-M0+, ARMv6-M, Thumb-1) with
 * Debian's gcc-arm-none-eabi and newlib, against the firmware's own mbedtls_config.h, warnings as
 * errors. Compile only: the Pico SDK (lwIP, cyw43, the SDK's mbedTLS build) is not on our machines.
 */
class CAgentCrossCompileTest {

    private static final Path AGENT_SOURCES = Path.of("..", "agents", "c").toAbsolutePath().normalize();
    private static final List<String> CORE = List.of("protocol.o", "record_guard.o", "task.o", "agent.o");

    @TempDir
    Path build;

    @Test
    void portable_core_compiles_for_the_rp2040_against_the_pico_w_mbedtls_configuration() {
        RealPeer.require("make", "make");
        RealPeer.require("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi");
        RealPeer.Result make = RealPeer.run(Duration.ofMinutes(3), List.of("make", "-C", AGENT_SOURCES.toString(),
                "BUILD=" + build, "arm"));
        assertEquals(0, make.exitCode(), "the core cross-compiles without a warning (-Werror):\n" + make);
        for (String object : CORE) {
            String file = build.resolve("arm").resolve(object).toString();
            RealPeer.Result attributes = RealPeer.run(Duration.ofSeconds(30), List.of("arm-none-eabi-readelf", "-h", "-A", file));
            assertEquals(0, attributes.exitCode(), attributes.toString());
            assertTrue(attributes.stdout().contains("Machine:                           ARM"), attributes.stdout());
            assertTrue(attributes.stdout().contains("Tag_CPU_arch: v6S-M"), "ARMv6-M, the Cortex-M0+:\n" + attributes.stdout());
            assertTrue(attributes.stdout().contains("Tag_THUMB_ISA_use: Thumb-1"), attributes.stdout());
        }
        RealPeer.Result size = RealPeer.run(Duration.ofSeconds(30), List.of("arm-none-eabi-size",
                build.resolve("arm").resolve("libalpnlab-core.a").toString()));
        assertEquals(0, size.exitCode(), size.toString());
        System.out.println("RP2040 core size (bytes):\n" + size.stdout());
    }
}
