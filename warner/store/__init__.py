"""Redis: connection, embedded default, key layout and the mention stream.

No imports here: ``store.keys`` is a table of constants that every stage reads, and importing it must
not start a connection pool or load the embedded server's code.
"""
