"""Production settings: refuse to start without what production needs, pass check --deploy.

Settings are read once per process, so each case imports them in a fresh Python
with its own environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"
PG_URL = "postgres://portal@db.internal:5432/portal"
CONFIG_VARIABLES = [
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "PROXY_COUNT",
    "PORTAL_URL",
    "PASSWORD_SIGN_IN",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "PORTAL_PROCESS",
    "DB_LOCK_TIMEOUT",
    "DB_STATEMENT_TIMEOUT",
    "IMPORT_MAX_FILE_MB",
]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run(
        args, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], **env)


def setting(name: str, **env: str) -> str:
    script = f"from django.conf import settings; print(repr(settings.{name}))"
    result = run([sys.executable, "-c", script], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "DATABASE_URL": PG_URL,
    "PORTAL_URL": "https://ledelse.albertslund.dk",
}


def test_production_passes_check_deploy_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_alone_also_passes_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        DATABASE_URL=PG_URL,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_alone_refuses_sqlite_too():
    """DEBUG=false is production as far as the database goes: PostgreSQL only."""
    result = manage("check", DEBUG="false", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL when DEBUG is off" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ENV="production", DATABASE_URL=PG_URL)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "key", ["too-short", "django-insecure-" + "x" * 60, "a" * 60], ids=["short", "dev", "same"]
)
def test_production_refuses_a_weak_secret_key(key):
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_refuses_to_start_without_postgresql():
    result = manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_production_refuses_to_start_without_the_portals_address():
    env = {k: v for k, v in PRODUCTION.items() if k != "PORTAL_URL"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "PORTAL_URL must be set" in result.stderr
    result = manage("check", **{**PRODUCTION, "PORTAL_URL": "http://ledelse.albertslund.dk"})
    assert result.returncode != 0


def test_password_sign_in_can_be_switched_off_only_with_single_sign_on():
    result = manage("check", PASSWORD_SIGN_IN="false")
    assert result.returncode != 0
    assert "PASSWORD_SIGN_IN=false needs single sign-on" in result.stderr
    with_sso = {"OIDC_ISSUER": "https://login.example.org/tenant/v2.0", "OIDC_CLIENT_ID": "x"}
    assert manage("check", PASSWORD_SIGN_IN="false", **with_sso).returncode == 0
    assert setting("SSO_ENABLED", **with_sso) == "True"


def test_production_refuses_debug_on():
    result = manage("check", **PRODUCTION, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_local_development_needs_nothing_set():
    result = manage("check")
    assert result.returncode == 0, result.stderr
    assert setting("DEBUG") == "True"


def test_production_cookies_are_secure_and_https_is_enforced_behind_the_proxy():
    assert setting("SESSION_COOKIE_SECURE", **PRODUCTION) == "True"
    assert setting("CSRF_COOKIE_SECURE", **PRODUCTION) == "True"
    assert setting("SECURE_SSL_REDIRECT", **PRODUCTION) == "True"
    assert setting("SECURE_PROXY_SSL_HEADER", **PRODUCTION) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert int(setting("SECURE_HSTS_SECONDS", **PRODUCTION)) >= 365 * 24 * 60 * 60


def test_production_serves_compressed_hashed_static_files():
    assert "CompressedManifestStaticFilesStorage" in setting("STORAGES", **PRODUCTION)


def test_the_gunicorn_configuration_loads_the_portal():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = run([str(gunicorn), "--check-config", "--config", "gunicorn.conf.py"], **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_the_gunicorn_configuration_refuses_to_start_without_a_secret_key():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = run(
        [str(gunicorn), "--check-config", "--config", "gunicorn.conf.py"],
        DJANGO_ENV="production",
        DATABASE_URL=PG_URL,
        PORTAL_URL="https://ledelse.albertslund.dk",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout


def test_production_sends_the_language_choice_only_over_https():
    assert setting("LANGUAGE_COOKIE_SECURE", **PRODUCTION) == "True"
    assert setting("LANGUAGE_COOKIE_HTTPONLY", **PRODUCTION) == "True"


def test_web_connections_give_up_on_a_held_row_and_commands_do_not():
    web = setting("DATABASES['default']['OPTIONS']['options']", **PRODUCTION)
    assert (
        web
        == "'-c lock_timeout=5000 -c statement_timeout=20000 -c jit=off -c cursor_tuple_fraction=1'"
    )
    command = setting(
        "DATABASES['default']['OPTIONS']['options']", **PRODUCTION, PORTAL_PROCESS="command"
    )
    assert (
        command
        == "'-c lock_timeout=0 -c statement_timeout=0 -c jit=off -c cursor_tuple_fraction=1'"
    )
    tuned = setting(
        "DATABASES['default']['OPTIONS']['options']",
        **PRODUCTION,
        DB_LOCK_TIMEOUT="2.5",
        DB_STATEMENT_TIMEOUT="10",
    )
    assert (
        tuned
        == "'-c lock_timeout=2500 -c statement_timeout=10000 -c jit=off -c cursor_tuple_fraction=1'"
    )


def test_the_import_file_limit_comes_from_the_environment():
    assert setting("IMPORT_MAX_FILE_MB") == "10"
    assert setting("IMPORT_MAX_FILE_MB", IMPORT_MAX_FILE_MB="25") == "25"


# --- A setting that cannot be read stops the start, with the variable's name --------


def test_a_misspelt_boolean_stops_the_start_instead_of_switching_a_check_off():
    """``OIDC_VERIFY_KID=ture`` used to read as False: key-id verification off."""
    result = manage("check", OIDC_VERIFY_KID="ture")
    assert result.returncode != 0
    assert "OIDC_VERIFY_KID='ture' is not understood" in result.stderr
    assert "one of true, 1, yes, on, false, 0, no, off" in result.stderr


def test_a_port_in_words_stops_the_start_with_the_variables_name():
    """``EMAIL_PORT=twentyfive`` used to fail with a bare ValueError naming nothing."""
    result = manage("check", EMAIL_PORT="twentyfive")
    assert result.returncode != 0
    assert "EMAIL_PORT='twentyfive' is not understood" in result.stderr
    assert "a whole number" in result.stderr


def test_a_misspelt_environment_name_does_not_run_production_as_development():
    result = manage("check", **{**PRODUCTION, "DJANGO_ENV": "prodution"})
    assert result.returncode != 0
    assert "DJANGO_ENV='prodution' is not understood" in result.stderr


def test_the_gunicorn_configuration_refuses_a_timeout_in_words():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = run(
        [str(gunicorn), "--check-config", "--config", "gunicorn.conf.py"],
        **PRODUCTION,
        GUNICORN_TIMEOUT="thirty",
    )
    assert result.returncode != 0
    assert "GUNICORN_TIMEOUT='thirty' is not understood" in result.stderr + result.stdout


def test_good_values_are_read_as_meant():
    assert setting("OIDC_VERIFY_KID", OIDC_VERIFY_KID="Off") == "False"
    assert setting("EMAIL_PORT", EMAIL_PORT=" 587 ") == "587"
    assert setting("EMAIL_TIMEOUT") == "30"
    assert setting("DB_LOCK_TIMEOUT", DB_LOCK_TIMEOUT="2.5") == "2.5"
    assert setting("LOGGING['root']['level']", LOG_LEVEL="warning") == "'WARNING'"


def test_settings_and_gunicorn_read_the_environment_only_through_the_strict_parser():
    for path in (ROOT / "portal" / "settings.py", ROOT / "gunicorn.conf.py"):
        source = path.read_text()
        assert "os.environ" not in source and "getenv" not in source, path.name


def test_enrolment_approval_is_off_unless_set_and_refuses_what_it_does_not_know():
    assert setting("ENROLMENT_APPROVAL") == "'none'"
    assert setting("ENROLMENT_APPROVAL", ENROLMENT_APPROVAL="Manager") == "'manager'"
    assert setting("APPROVAL_REMINDER_DAYS") == "5"
    result = manage("check", ENROLMENT_APPROVAL="chef")
    assert result.returncode != 0
    assert "ENROLMENT_APPROVAL='chef' is not understood" in result.stderr
    result = manage("check", APPROVAL_REMINDER_DAYS="0")
    assert result.returncode != 0
    assert "APPROVAL_REMINDER_DAYS='0' is not understood" in result.stderr
