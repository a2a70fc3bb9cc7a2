"""Regenerate contracts/ from the code (`make contracts`)."""

from devkit.contracts import generate, write

if __name__ == "__main__":
    for path in write(generate()):
        print(f"updated {path}")
