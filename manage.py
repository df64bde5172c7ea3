#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Commands (migrate, nightly jobs, exports) get the database limits for commands,
    # not the web's short ones (portal/settings.py); the development server is web.
    if sys.argv[1:2] != ["runserver"]:
        os.environ.setdefault("PORTAL_PROCESS", "command")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
