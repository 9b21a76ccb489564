"""Transports: the clients of outside services a channel delivers through (HTTP, files).

Each transport is plain code with no models: it takes explicit settings and bytes and
raises TransientError (retry later) or PermanentError (fail now), see errors.py.
"""
