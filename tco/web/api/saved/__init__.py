"""/api/v1/scenarios: save a named scenario, list the saved ones, reopen, replace or delete one.

Kept in the database of ``Settings.database`` (``TCO_DATABASE``) by :class:`tco.store.ScenarioStore`.
"""
