"""Digitale Agenda: versions, goals and their coverage by measures."""
