"""HR's tools: the admin (the programme's models, by concern), the leader import, HR's
start page and the nightly jobs.
"""
