"""The store: SQLAlchemy models, the engine factory and transactions.
It only stores; it never decides."""
