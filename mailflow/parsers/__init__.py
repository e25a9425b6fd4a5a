"""Turning raw mail into plain facts; parsers read and never decide."""
