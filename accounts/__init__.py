"""People and sign-in: the portal's sign-in and password forms, single sign-on,
invitations, and a person's own data (insight, anonymisation).
"""
