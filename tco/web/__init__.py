"""The web layer: app factory, thin over the catalog and the engine (it computes nothing)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template

import tco
from tco.catalog import Catalog, load_catalog
from tco.settings import Settings


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    settings : defaults to :meth:`Settings.from_env` (the ``TCO_*`` variables).
    catalog : defaults to the shipped tables overlaid with ``settings.pricing_dir``,
        resolved at ``settings.as_of``.
    """
    settings = settings or Settings.from_env()
    if catalog is None:
        catalog = load_catalog(extra_dirs=settings.pricing_dirs, as_of=settings.as_of or None, use_env=False)
    app = Flask(__name__)
    app.config["TCO_SETTINGS"] = settings
    app.config["TCO_CATALOG"] = catalog
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes

    @app.get("/healthz")
    def healthz():
        return jsonify(
            status="ok",
            version=tco.__version__,
            as_of=catalog.as_of.isoformat(),
            rows=catalog.row_counts(),
            newest_price_date=catalog.newest_price_date(),
        )

    @app.get("/")
    def index():
        return render_template("index.html", catalog=catalog, version=tco.__version__)

    return app
