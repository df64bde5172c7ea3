# Django's Danish formats, plus the ways HR types dates: 31-12-2015, 31.12.2015, 2015-12-31.
from django.conf.locale.da.formats import *  # noqa: F403

DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = [
    f"{date} {time}" for date in DATE_INPUT_FORMATS for time in ("%H:%M:%S", "%H:%M", "%H.%M")
] + DATE_INPUT_FORMATS

# A session's moment in a table: "tor 14. jan 09:00". Danish writes weekdays and months
# in lower case ("b", where Django's "M" would give "Jan"). Named here, so a page asks
# for it by name ({{ value|date:"WEEKDAY_DATETIME_FORMAT" }}) and English gets its own.
WEEKDAY_DATETIME_FORMAT = "D j. b H:i"
