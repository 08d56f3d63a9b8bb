"""A client's data stays theirs: versioned consent, export and erasure, the audit trail pages."""
