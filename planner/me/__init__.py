"""The client's own pages and reads: My break, the inbox, preferences, the calendar feed."""
