"""The web layer: app factory, thin over the catalog and the engine (it computes nothing)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, send_from_directory
from flask.json.provider import DefaultJSONProvider

from tco.catalog import Catalog, load_catalog
from tco.settings import Settings
from tco.web.guard import dump_json


def swagger_ui_dir() -> Path:
    """Swagger UI's files, shipped by the swagger-ui-bundle package (served by the app, no CDN)."""
    import swagger_ui_bundle
    return Path(swagger_ui_bundle.swagger_ui_path)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON through orjson: about 10x faster on the monthly schedule; numpy values and dates
    encode natively; NaN never reaches a client (the API turns it into null first)."""

    def dumps(self, obj, **kwargs):
        return dump_json(obj, default=self.default).decode()

    def loads(self, s, **kwargs):
        return super().loads(s, **kwargs)   # the stdlib parser: it reports malformed JSON the usual way


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    settings : defaults to :meth:`Settings.from_env` (the ``TCO_*`` variables).
    catalog : defaults to the shipped tables overlaid with ``settings.pricing_dir``,
        resolved at ``settings.as_of``.
    """
    from tco.web.api import register_api
    from tco.web.guard import install as install_guard
    from tco.web.heavy import HeavyPool

    settings = settings or Settings.from_env()
    if catalog is None:
        catalog = load_catalog(extra_dirs=settings.pricing_dirs, as_of=settings.as_of or None, use_env=False)
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config["TCO_SETTINGS"] = settings
    app.config["TCO_CATALOG"] = catalog
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    install_guard(app, settings)        # first: its checks run before any other hook or view
    register_api(app)
    app.extensions["tco_heavy"] = HeavyPool(catalog, settings.heavy_slots, settings.heavy_wait_s,
                                            settings.heavy_timeout_s, settings.heavy_isolation)

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename):
        if not filename.endswith((".js", ".css", ".png", ".html")):
            abort(404)
        return send_from_directory(swagger_ui_dir(), filename, max_age=86400)

    from tco.web.dashboard import bp as dashboard_bp
    app.register_blueprint(dashboard_bp)

    return app
