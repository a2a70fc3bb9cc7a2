"""Daily backups of camwatch (seed 2 §3): every service database, the event streams, the keys.

`python -m servicekit.backup create` writes one dated directory holding each service's
database (SQLite's online backup API, or `pg_dump` of the service's schema), every camwatch
JetStream stream's configuration and messages, and a manifest with each file's SHA-256 and,
for SQLite, each table's row count and digest; the key files needed to read vault data and
check the chains go encrypted (scrypt + AES-GCM under a passphrase) into a separate
directory. `verify` re-reads a backup against its manifest; `restore` puts it back into empty
databases and a NATS server. The restore drill (tests/ops) proves the round trip record for
record.
"""
