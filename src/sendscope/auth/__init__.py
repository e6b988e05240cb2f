"""Credentials and tokens: the app's own (secret or certificate), and the admin's."""
