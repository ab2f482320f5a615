"""Tests of the ACS Identity / Chat / Event Grid stand-in (``emulators.acs``)."""
