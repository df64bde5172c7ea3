# English pages accept the same date spellings as Danish ones: HR types dates one way.
from django.conf.locale.en.formats import *  # noqa: F403

from portal.formats.da.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: F401
