"""Onboarding: invitations, setting a password from one, password reset, the practice's page."""
