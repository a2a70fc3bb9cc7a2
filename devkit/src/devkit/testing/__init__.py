"""Test support: real servers on free ports, token minting, databases."""
