"""Widgets of the localmig app, each in its own module."""
