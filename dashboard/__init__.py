"""The leaders' pages: the dashboard, the cohort pages where a leader enrols, make-ups and
calendar files.
"""
