"""Service status."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

import tco
from tco.web.api.blueprint import Blueprint

blp = Blueprint("system", __name__, url_prefix="/api/v1", description="Service status.")
#: The same answer at the root, where load balancers and orchestrators look for it.
root_blp = Blueprint("health", __name__, url_prefix="", description="Service status at the root path.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"description": "'ok' when the service answers."})
    version = ma.fields.String(required=True, metadata={"description": "tco version."})
    as_of = ma.fields.String(required=True, metadata={"description": "Date whose prices are in force [YYYY-MM-DD]."})
    rows = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                          metadata={"description": "Rows in force per pricing table."})
    newest_price_date = ma.fields.String(required=True, allow_none=True,
                                         metadata={"description": "Newest effective_date in the catalog."})


def health() -> dict:
    catalog = current_app.config["TCO_CATALOG"]
    return {"status": "ok", "version": tco.__version__, "as_of": catalog.as_of.isoformat(),
            "rows": catalog.row_counts(), "newest_price_date": catalog.newest_price_date()}


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.doc(operationId="api_health")
    def get(self):
        """Service status, rows per pricing table and the newest price date."""
        return health()


@root_blp.route("/healthz")
class RootHealth(MethodView):
    @root_blp.response(200, HealthSchema)
    @root_blp.doc(operationId="health")
    def get(self):
        """Service status (the same as `GET /api/v1/healthz`)."""
        return health()
