"""The only code that speaks HTTP to Microsoft 365: Graph and the Exchange admin API."""
