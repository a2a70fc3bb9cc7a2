"""Traffic simulator for the development stack: EPE vendors and a VNACCS-side system talking to
the gateway with real client-credentials tokens (`python -m devkit.simulator --help`)."""
