"""Response headers shared by every route that returns a secret or a credential."""

# RFC 6749 5.1: responses carrying tokens, one-time codes or secrets must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
