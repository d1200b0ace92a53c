"""tcgkit-host-ppc: the ppc64le host backend (in progress: the encoder; not
registered as a plugin until the backend is complete, see issue 10)."""
