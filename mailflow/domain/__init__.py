"""The rules flows and jobs share: mentorships, people, meetings, completion, figures."""
