package io.alpnlab.broker.testing;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.policy.Profile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * One broker for all tests of a class (starting one costs a second), reset before each test to AWS's
 * default profile, no misbehaviour and no records, so tests stay independent.
 */
public abstract class SharedBrokerTest {

    protected static final String E = BrokerFixture.ENDPOINT;
    protected static BrokerFixture fixture;

    @BeforeAll
    static void startSharedBroker() {
        fixture = BrokerFixture.start();
    }

    @AfterAll
    static void stopSharedBroker() {
        fixture.close();
    }

    @BeforeEach
    void resetSharedBroker() throws InterruptedException {
        // A client of the previous test may still be closing; its late record would otherwise be
        // taken for this test's connection.
        BrokerContext context = fixture.broker().context();
        context.closeConnectionsAfter(0);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (context.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        fixture.broker().recorder().clear();
        fixture.broker().plan().reset();
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)));
    }
}
