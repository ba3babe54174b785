"""What the tests share: the broker, PostgreSQL, the running stack, the demo site, receivers."""
