"""The API's routes under ``/api/v1/`` (namespace ``api``).

They are open to anonymous requests as far as Django's sign-in is concerned
(``LoginRequiredMiddleware``): the API's own token check (``api.endpoints``) answers
401, and the OpenAPI document and its page describe the API, not anyone's data.
"""

from django.urls import URLPattern

from api.endpoints import api_v1

patterns, app_name, namespace = api_v1.urls
for pattern in patterns:
    if isinstance(pattern, URLPattern):
        pattern.callback.login_required = False

# For include(): the routes, their app name (ninja's) and namespace ("api").
routes = (patterns, app_name, namespace)
