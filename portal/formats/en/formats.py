# English pages accept the same date spellings as Danish ones: HR types dates one way.
from django.conf.locale.en.formats import *  # noqa: F403

from portal.formats.da.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: F401

# A session's moment in a table: "Thu 14 Jan 09:00" (portal/formats/da/formats.py).
WEEKDAY_DATETIME_FORMAT = "D j M H:i"
