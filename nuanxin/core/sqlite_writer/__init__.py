"""SQLite backend whose write transactions queue on a lock file instead of sleep-polling.

See base.py.
"""
