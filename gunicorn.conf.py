"""gunicorn settings for the portal (``make serve``); every value can come from the environment.

gunicorn listens on loopback by default: TLS ends at the reverse proxy in front of it,
which sets X-Forwarded-Proto and X-Forwarded-For (see docs/operations.md).
"""

import gc
import multiprocessing

import gunicorn.http.wsgi

# Read strictly, as the portal's settings are: a value not understood stops the start.
from portal.env import env_choice, env_int, env_str

wsgi_app = "portal.wsgi:application"
bind = env_str("GUNICORN_BIND", f"127.0.0.1:{env_int('PORT', 8000, minimum=1, maximum=65535)}")

# Synchronous workers, the usual 2 x cores + 1; each keeps one database connection
# (CONN_MAX_AGE), so workers x nodes must stay below PostgreSQL's max_connections.
workers = env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10

# Load the application once in the master: a broken configuration fails at start,
# not in every worker, and workers share the imported code's memory.
preload_app = True


def pre_fork(server, worker):
    """Before each worker is forked: what the master loaded (the whole application, as
    preload_app loads it) lives as long as the workers, so the collector need not walk
    it. Frozen, a worker's full collections walk only what it made itself (at 30,000
    leaders they had added 50-80 ms to one report request in seven or so:
    docs/performance.md), and they no longer write to the memory it shares with the
    master."""
    gc.freeze()


# Only the proxy on this machine may tell gunicorn the original scheme.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = env_str("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = env_choice(
    "LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
).lower()

# The control socket (gunicorn 24+) is not used; two instances would share its path.
control_socket_disable = True

# gunicorn names itself in a Server header on every response; an attacker learns the
# server and, from its behaviour, its version. Responses carry a neutral name instead.
gunicorn.http.wsgi.SERVER = "portal"

# When gunicorn itself must answer 500 - above all when it stops a worker that ran past
# `timeout` - its worker writes a bare English "Internal Server Error". The portal's
# workers (portal/gunicorn_worker.py) send the portal's own error page instead
# (templates/500.html). Named by class: gunicorn's switch from `sync` to `gthread` when
# threads > 1 applies to its own class only, so the choice is made here.
worker_class = (
    "portal.gunicorn_worker.PortalThreads" if threads > 1 else "portal.gunicorn_worker.PortalSync"
)
