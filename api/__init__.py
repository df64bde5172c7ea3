"""The read API for the municipality's HR and BI systems (``/api/v1/``), and the API
clients HR manages in the admin (``hr/admin/api_clients.py``).

- :mod:`.models`: API clients (scopes, departments, expiry, revocation, the token's hash)
  and the count of their calls
- :mod:`.tokens`: making a token (shown once) and finding its client
- :mod:`.usage`: counting every call, and the limit a minute (429, ``Retry-After``)
- :mod:`.reads`: what each list reads, in the client's scope (the reports' rules)
- :mod:`.pages`: cursor pages
- :mod:`.schemas`, :mod:`.endpoints`: the answers and the routes (django-ninja writes
  the OpenAPI document from them); :mod:`.docs`: the documentation page
"""
