"""The room: the facilitator's session screen, check-in with a code, and the kursusbevis."""
