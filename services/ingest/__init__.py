"""Events in: the producer that publishes them and the rules asked before publishing."""
