"""Screens of the localmig app: the migration list, the review, and the modals."""
