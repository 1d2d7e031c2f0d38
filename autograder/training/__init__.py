"""Trainings of the provided model from a student's initial weights: single, stacked, killable, cached."""
