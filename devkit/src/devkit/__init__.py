"""Development tooling kept out of the runtime packages and images: test fixtures and the
contracts export. Only the workspace's dev dependency group installs it."""
