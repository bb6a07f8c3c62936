package io.alpnlab.broker.testing;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.policy.Profile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * One broker for all tests of a class (starting one costs a second), reset before each test to AWS's
 * default profile, no misbehaviour and no records, so tests stay independent. The broker belongs to the
 * class's one instance, not to a static field every subclass would share: classes run side by side.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SharedBrokerTest {

    protected static final String E = BrokerFixture.ENDPOINT;
    protected BrokerFixture fixture;

    @BeforeAll
    void startSharedBroker() {
        fixture = BrokerFixture.start();
    }

    @AfterAll
    void stopSharedBroker() {
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
