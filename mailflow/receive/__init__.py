"""Receiving mail: SMTP and IMAP both hand raw bytes to ingest."""
