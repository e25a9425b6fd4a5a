"""What leaves: composing mail, invitations, documents, charts, and sending."""
