"""Settings for the digital-leadership portal.

One module, read from the environment. With nothing set it runs locally on an
embedded SQLite file with DEBUG on; with ``DJANGO_ENV=production`` (or
``DEBUG=false``) it refuses to start without what production needs.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_month_days,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Every variable is read through portal/env.py: a value it does not understand stops
# the start with the variable's name, never turns into a default or False.
PRODUCTION = env_choice("DJANGO_ENV", "", ["production", "development"]) == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

_DEV_SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production).")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (
    SECRET_KEY.startswith("django-insecure-") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Widget templates from templates/ (accessible admin widgets) need TemplatesSetting.
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "accounts.apps.SignInProtectionConfig",  # django-axes, with Danish names
    "csp",
    "mail.apps.OutboxConfig",  # django-post-office, with Danish names
    # The portal's own apps, one per concern (README, "Architecture"); booking and
    # demo are plain packages: rules and data with no models, pages or commands.
    "programme",
    "mail",
    "accounts",
    "reports",
    "outcomes",
    "rooms",
    "dashboard",
    "managers",
    "hr",
    "api",
    "groups",
    "materials",
    "approvals",
    "evaluations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.DanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on whatever a signed-in person is sent.
    "portal.middleware.PrivateCacheMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # 400 for a NUL in the address or a bogus admin selection; 503 page for a busy database.
    "portal.middleware.BadInputMiddleware",
    "portal.middleware.DatabaseBusyMiddleware",
    # After messages (to say why the user was signed out), and in __call__, so it
    # runs before LoginRequiredMiddleware sends the now anonymous user to sign in.
    "portal.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, plus the identity provider's sign-out as a form target (accounts/sso.py).
    "accounts.sso.ProviderSignOutCSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.context_processors.hr_contact",
                "portal.context_processors.sign_in",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: DATABASE_URL (postgres://...) or, with nothing set, an embedded SQLite file.
# Production (DJANGO_ENV=production, or simply DEBUG off) runs on PostgreSQL only: an
# embedded file would be state on one node, and seats rely on PostgreSQL's row locks.
# Lower case: not a setting, so the password in it is never shown as one.
database_url = env_str("DATABASE_URL")
if not DEBUG and not database_url.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        "DATABASE_URL must point to PostgreSQL when DEBUG is off "
        "(DJANGO_ENV=production or DEBUG=false)."
    )
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")))
DATABASES = {
    "default": dj_database_url.parse(
        database_url or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Writers take the lock when their transaction begins, so concurrent bookings
    # serialise instead of failing with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "programme.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, unless PASSWORD_SIGN_IN is off (then superusers only: break-glass).
    "accounts.signin.PasswordBackend",
    # The municipality's identity provider (OpenID Connect), when OIDC_ISSUER is set.
    "accounts.sso.PortalOIDCBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:dashboard"
LOGOUT_REDIRECT_URL = "login"

# A cache all web processes share (REDIS_URL: Django's Redis backend, made tolerant of
# Redis going away, portal/cache.py), else one per process (nothing to set up locally).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal"),
            # A Redis that does not answer costs a page a fraction of a second, once.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Pages kept rendered in the cache (programme/pagecache.py): a leader's dashboard for at
# most this many seconds, shared pages (reports, cohorts) for at most a minute; each is
# replaced as soon as anything on it changes (versions in the database). A per-process
# cache would keep a copy in every process, so without Redis nothing is kept.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300 if REDIS_URL else 0, minimum=0)

# Sessions live in the database, and only there: any number of web processes serve a
# user, and a session signed out (its row deleted) can never come back, whatever a cache
# did meanwhile. One indexed query per request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Signed out after SESSION_IDLE_TIMEOUT seconds without a request, and at the latest
# SESSION_ABSOLUTE_TIMEOUT seconds after signing in, however active (portal/middleware.py).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=1)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 8 * 60 * 60, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-in protection (django-axes): one account from one address, 5 tries, 1 hour.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# E-mail addresses are case-insensitive logins: "A@x.dk" and "a@x.dk" share one counter.
AXES_USERNAME_CALLABLE = "portal.middleware.login_username"
# django-ipware is not installed, so axes would see only REMOTE_ADDR (the proxy's
# address: one counter for everybody). PROXY_COUNT trusted proxies in front of
# gunicorn each append to X-Forwarded-For; the client is the entry they appended.
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_ip"
# Attempts and logs hold e-mail addresses and IP addresses: keep them bounded.
AXES_ENABLE_ACCESS_FAILURE_LOG = False

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
# Our own input formats so HR can type 31-12-2015, 31.12.2015 or 2015-12-31.
FORMAT_MODULE_PATH = ["portal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # E-mail attachments (.ics) wait in the database with their e-mail, not on one
    # node's disk, so any worker on any machine can send them.
    "outbox": {"BACKEND": "mail.storage.DatabaseStorage"},
    # Files HR uploads (module materials), in the database for the same reason.
    "files": {"BACKEND": "mail.storage.DatabaseStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds the worker waits for the mail server (connecting, then each reply) before it
# gives the send up and retries it later; without it a server that accepts the
# connection and never answers holds the worker, and its lock, for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Digital ledelse <noreply@albertslund.dk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The outbox (django-post-office): every e-mail is a row written in the transaction of
# the change that caused it; `manage.py send_outbox` sends them with EMAIL_BACKEND.
# A failed send is retried OUTBOX_MAX_RETRIES times, waiting 1, 2, 4, ... minutes
# (OUTBOX_RETRY_MINUTES doubled each time); then it is marked failed for HR to see.
OUTBOX_MAX_RETRIES = env_int("OUTBOX_MAX_RETRIES", 6, minimum=0)
OUTBOX_RETRY_MINUTES = env_int("OUTBOX_RETRY_MINUTES", 1, minimum=1)
POST_OFFICE = {
    "MAX_RETRIES": OUTBOX_MAX_RETRIES,
    "RETRY_INTERVAL": timedelta(minutes=OUTBOX_RETRY_MINUTES),
    "FILE_STORAGE": "outbox",
    # One sending thread: the worker is one process a minute, not a mass mailer.
    "THREADS_PER_PROCESS": 1,
    # Log successes too, so HR sees when each e-mail left.
    "LOG_LEVEL": 2,
    "DEFAULT_PRIORITY": "medium",
    "BATCH_SIZE": 200,
    # A round gives up after this many seconds (plus one EMAIL_TIMEOUT for the send in
    # hand): the e-mails not sent by then are retried on the schedule above.
    "BATCH_DELIVERY_TIMEOUT": 180,
    # EMAIL_BACKEND, with long Danish subjects folded as mail readers expect.
    "BACKENDS": {"default": "mail.backend.Backend"},
}

# The portal's address as leaders reach it, for the links in e-mails.
PORTAL_URL = env_str("PORTAL_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not PORTAL_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "PORTAL_URL must be set to the portal's https:// address when DJANGO_ENV=production."
    )

# Whom people are told to contact ("contact HR"): pages, e-mails, sign-in refusals.
HR_CONTACT_NAME = env_str("HR_CONTACT_NAME", "HR-udvikling")
HR_CONTACT_EMAIL = env_str("HR_CONTACT_EMAIL", "hr@albertslund.dk")
HR_CONTACT_PHONE = env_str("HR_CONTACT_PHONE", "43 68 68 68")

# Invitations to choose a password: the link is valid this many days and works once.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14, minimum=1)

# Single sign-on with the municipality's identity provider (OpenID Connect, through
# mozilla-django-oidc). On when OIDC_ISSUER and OIDC_CLIENT_ID are set; the endpoints
# come from the provider's discovery document (accounts/sso.py).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_EMAIL_CLAIM = env_str("OIDC_EMAIL_CLAIM", "email")
OIDC_EMPLOYEE_NUMBER_CLAIM = env_str("OIDC_EMPLOYEE_NUMBER_CLAIM")
# Matching by e-mail needs the provider to vouch for the address: this claim must be
# true (Microsoft Entra ID: the optional claim xms_edov). Empty: a provider that never
# says (then match by employee number, or trust the provider's addresses).
OIDC_EMAIL_VERIFIED_CLAIM = env_str("OIDC_EMAIL_VERIFIED_CLAIM", "email_verified")
SSO_BUTTON_LABEL = env_str("SSO_BUTTON_LABEL")
SSO_ENABLED = bool(OIDC_ISSUER and OIDC_RP_CLIENT_ID)
# Password sign-in for people without a work account; when off, only superusers may
# use a password (break-glass when the identity provider is down).
PASSWORD_SIGN_IN = env_bool("PASSWORD_SIGN_IN", default=True)
if not PASSWORD_SIGN_IN and not SSO_ENABLED:
    raise ImproperlyConfigured(
        "PASSWORD_SIGN_IN=false needs single sign-on (OIDC_ISSUER and OIDC_CLIENT_ID): "
        "without it nobody but superusers could sign in."
    )
# The algorithms mozilla-django-oidc verifies (RS*, ES* with the provider's keys; HS256
# with the client secret).
OIDC_RP_SIGN_ALGO = env_choice(
    "OIDC_SIGN_ALGO", "RS256", ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256"]
)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_CREATE_USER = False
# Kept for the identity provider's sign-out (id_token_hint).
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10, minimum=1)
# Match the ID token's key id to the provider's keys (Entra ID and AD FS name them);
# off only for a provider that publishes a single key without a name.
OIDC_VERIFY_KID = env_bool("OIDC_VERIFY_KID", default=True)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
OIDC_OP_LOGOUT_URL_METHOD = "accounts.sso.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "login"

# Content-Security-Policy (django-csp 4): only our own origin, no inline scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # TLS ends at the proxy in front of gunicorn, which must set (never pass on)
    # X-Forwarded-Proto; gunicorn listens only where that proxy can reach it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The load balancer probes over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Start the portal's clock at this moment (ISO 8601) instead of the real time: the
# demo data lies in 2015-2016. Leave unset in production. See programme/clock.py.
PORTAL_CLOCK = env_str("PORTAL_CLOCK")

# The read API (/api/v1/): calls one client may make a minute; more are answered 429
# with Retry-After. Counted in the shared cache (REDIS_URL); 0: no limit.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 120, minimum=0)

# How long personal data of leaders who have left is kept before anonymisation.
ANONYMISE_AFTER_DAYS = env_int("ANONYMISE_AFTER_DAYS", 365, minimum=0)
# The self-assessment: the fewest leaders (who answered both rounds) a group must have
# before anyone but the leaders themselves sees its averages.
ASSESSMENT_MIN_GROUP = max(env_int("ASSESSMENT_MIN_GROUP", 5), 2)
# A session's evaluation is open to the leaders who attended it for this many days after
# it ends; the averages' leftovers are combined this long after the programme's end.
EVALUATION_OPEN_DAYS = env_int("EVALUATION_OPEN_DAYS", 14, minimum=1)

# After a session ends, HR has this many working days to record attendance; until then
# a leader with no record is "awaiting registration", not behind. Working days are
# Monday to Friday except Denmark's public holidays (the holidays library, per year) and
# CLOSED_DAYS, the days the municipality closes: month-day, comma-separated (24 and 31
# December, Grundlovsdag). Changing either changes stored progress: run
# `manage.py refresh_standings`.
ATTENDANCE_GRACE_WORKING_DAYS = env_int("ATTENDANCE_GRACE_WORKING_DAYS", 3, minimum=0)
CLOSED_DAYS = env_month_days("CLOSED_DAYS", "12-24,12-31,06-05")
# Seats a manager reserves in a cohort (managers' "Reservationer") are held for them to
# name leaders into until this many days before the cohort's first session; from that
# day the unnamed ones go back to everyone and the waitlist (`close_places`, hourly).
RESERVATION_RELEASE_DAYS = env_int("RESERVATION_RELEASE_DAYS", 14, minimum=0)
# The compliance page's "Send reminder" reaches one leader at most once in this many days.
REMINDER_INTERVAL_DAYS = env_int("REMINDER_INTERVAL_DAYS", 7, minimum=1)
# Whether a leader's "Tilmeld mig" books at once ("none") or becomes a request their
# manager (or HR) decides ("manager"; approvals/rules.py); an unanswered request is
# reminded to the manager once, APPROVAL_REMINDER_DAYS after it was made.
ENROLMENT_APPROVAL = env_choice("ENROLMENT_APPROVAL", "none", ["none", "manager"])
APPROVAL_REMINDER_DAYS = env_int("APPROVAL_REMINDER_DAYS", 5, minimum=1)

# Self check-in in the room: the code on the facilitator's screen changes every
# CHECKIN_CODE_SECONDS and works from CHECKIN_OPENS_MINUTES before the start until
# the end; a check-in more than CHECKIN_LATE_MINUTES after the start counts as late.
CHECKIN_CODE_SECONDS = env_int("CHECKIN_CODE_SECONDS", 30, minimum=1)
CHECKIN_OPENS_MINUTES = env_int("CHECKIN_OPENS_MINUTES", 30, minimum=0)
CHECKIN_LATE_MINUTES = env_int("CHECKIN_LATE_MINUTES", 15, minimum=0)

# History is for reading: a revert would change seats and attendance behind the
# booking rules (hr/admin/base.py also refuses the revert page's POST).
SIMPLE_HISTORY_REVERT_DISABLED = True

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "axes": {"level": "WARNING"},
        # A handler of its own, or django-post-office installs one that logs every run.
        "post_office": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}


# --- Hardening against bad input and a stalled database (issue 12) ------------------

# Web requests give up on the database instead of waiting: a row held locked (a stuck
# transaction, a long admin action) or a runaway query would otherwise keep a gunicorn
# worker waiting until GUNICORN_TIMEOUT kills it, and with every worker waiting the
# whole portal stops answering, /healthz too. The request then gets a 503 page saying
# nothing was saved (portal.middleware.DatabaseBusyMiddleware). Seconds; 0 = no limit.
# DB_STATEMENT_TIMEOUT must stay below GUNICORN_TIMEOUT, or gunicorn kills first.
# Management commands (manage.py sets PORTAL_PROCESS=command) have their own limits,
# none by default: a nightly job may wait; the CSV export has a longer one of its own
# (reports.views.export, see portal.db).
PORTAL_PROCESS = env_choice("PORTAL_PROCESS", "web", ["web", "command"])
if PORTAL_PROCESS == "command":
    DB_LOCK_TIMEOUT = env_float("DB_COMMAND_LOCK_TIMEOUT", 0, minimum=0)
    DB_STATEMENT_TIMEOUT = env_float("DB_COMMAND_STATEMENT_TIMEOUT", 0, minimum=0)
else:
    DB_LOCK_TIMEOUT = env_float("DB_LOCK_TIMEOUT", 5, minimum=0)
    DB_STATEMENT_TIMEOUT = env_float("DB_STATEMENT_TIMEOUT", 20, minimum=0)
DB_EXPORT_STATEMENT_TIMEOUT = env_float("DB_EXPORT_STATEMENT_TIMEOUT", 120, minimum=0)
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5, minimum=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Set when the connection opens (libpq options): no query per request. JIT off:
    # the report's aggregate over 30,000 leaders spent 456 ms of 703 compiling itself
    # (its cost estimate crosses the inlining threshold); without it, 250 ms.
    # cursor_tuple_fraction=1: the portal reads every row of a server-side cursor (the
    # exports), so plan for all rows, not the first tenth (PostgreSQL's default chose
    # nested loops for the export without statistics: 8.9 s instead of 0.9 s).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={int(DB_LOCK_TIMEOUT * 1000)} "
        f"-c statement_timeout={int(DB_STATEMENT_TIMEOUT * 1000)} -c jit=off "
        "-c cursor_tuple_fraction=1"
    )
    # A database host that does not answer at all (switched off, packets dropped) is
    # given up after this many seconds, and the request answers the 503 page instead of
    # waiting until gunicorn stops the worker.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = DB_CONNECT_TIMEOUT

# A PostgreSQL read replica (streaming replication) for the report pages and exports:
# they read there (portal/routers.py), a leader's own pages and every write use the
# primary. Reports may then trail the primary by the replica's lag (usually < 1 s).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        ),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        # The test database is created once, on the primary; the replica alias uses it.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["portal.routers.ReplicaRouter"]

# Leader import (hr/imports/). The file is read into memory and checked at
# once, so its size is bounded; the limits are in the form's help and its error. A
# CSV of 30,000 leaders is about 3 MB. The proxy's body limit must be a little
# above IMPORT_MAX_FILE_MB (docs/operations.md), so the form can say what is wrong.
IMPORT_MAX_FILE_MB = env_int("IMPORT_MAX_FILE_MB", 10, minimum=1)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50000, minimum=1)
# How long a checked file's preview can be confirmed (seconds).
IMPORT_PREVIEW_MAX_AGE = env_int("IMPORT_PREVIEW_MAX_AGE", 60 * 60, minimum=1)
# The scheduled import (manage.py import_leaders) e-mails what it did, or why it refused
# the HR system's file, to these addresses (comma-separated); by default HR's contact.
IMPORT_REPORT_TO = env_list("IMPORT_REPORT_TO", HR_CONTACT_EMAIL)
# Ordinary form fields (not files) in one request: Django's default, stated.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The language choice is sent back only over https in production, like the other cookies.
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
