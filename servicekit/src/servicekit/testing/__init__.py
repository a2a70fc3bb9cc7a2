"""Test support shipped with the kit: real servers on free ports, token minting, databases."""
