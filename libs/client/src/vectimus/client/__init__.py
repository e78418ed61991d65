"""The hook shim and its transports."""
