"""Reports and exports: who is done, per department and area, for managers and HR, as
pages, CSV and xlsx, with the rule that no group shown is small enough to reveal one
person.
"""
