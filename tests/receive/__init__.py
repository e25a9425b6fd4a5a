"""Tests of the receivers: IMAP poller against a real Dovecot."""
