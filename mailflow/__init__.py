"""mailflow: an email-first service that runs mentoring programmes."""
