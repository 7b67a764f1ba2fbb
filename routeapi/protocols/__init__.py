"""Wire-format codecs, one module per protocol. Pure functions and small state machines: no I/O."""
