"""The API's Blueprint: flask-smorest's, reading JSON bodies as :mod:`tco.web.guard` parsed them."""
from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser

from tco.web.guard import has_json_body, json_body


class TcoParser(FlaskParser):
    """webargs' Flask parser taking the body the guard already parsed (depth-checked, once)."""

    def _raw_load_json(self, req):
        if has_json_body():
            return json_body()
        return super()._raw_load_json(req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = TcoParser()
