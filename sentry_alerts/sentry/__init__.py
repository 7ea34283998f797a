"""Talking to Sentry: the HTTP client, lookups, and the two alert backends.

`connect()` (connect.py) is the entry point: it checks the URL and token, finds the org's region,
picks the backend and returns a `Connection`.
"""
