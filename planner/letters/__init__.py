"""Letters to self, and the therapist's own message: the note as the first caring message of
the break, with an optional recording (stored through Django's storage API) and its transcript."""
