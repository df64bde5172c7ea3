"""gunicorn settings for the portal (``make serve``); every value can come from the environment.

gunicorn listens on loopback by default: TLS ends at the reverse proxy in front of it,
which sets X-Forwarded-Proto and X-Forwarded-For (see docs/operations.md).
"""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Synchronous workers, the usual 2 x cores + 1; each keeps one database connection
# (CONN_MAX_AGE), so workers x nodes must stay below PostgreSQL's max_connections.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# Load the application once in the master: a broken configuration fails at start,
# not in every worker, and workers share the imported code's memory.
preload_app = True

# Only the proxy on this machine may tell gunicorn the original scheme.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# The control socket (gunicorn 24+) is not used; two instances would share its path.
control_socket_disable = True
