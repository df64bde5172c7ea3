"""Outcomes: the leaders' self-assessment and initiatives, and the programme owner's view
of them.
"""
