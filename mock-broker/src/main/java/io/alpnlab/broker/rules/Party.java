package io.alpnlab.broker.rules;

/** Whose behaviour a rule describes: what the broker (AWS) does, or what a client must do to connect. */
public enum Party {
    BROKER,
    CLIENT
}
