"""What routeapi knows about providers and models. Pure data and lookups; no I/O."""
