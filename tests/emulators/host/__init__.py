"""End-to-end tests of the local Functions host stand-in."""
