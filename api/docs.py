"""/docs (Swagger UI) and /redoc served with their assets from this app, so they work offline.

The scripts and styles come from the `fastapi-offline` package, which ships the Swagger UI and
ReDoc bundles; nothing is loaded from a CDN, ReDoc uses the system fonts, and Swagger UI's online
validator badge (an image from validator.swagger.io) is switched off. ReDoc's bundle asks its CDN
for the footer logo; it is served with that address blanked, so the image fails at once and hides.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"  # the package's bundled files
REDOC_SCRIPT_URL = "/docs-redoc.standalone.js"
REDOC_LOGO_URL = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def redoc_script() -> bytes:
    """ReDoc's standalone bundle without the address of its CDN-hosted logo."""
    return (DOCS_ASSETS_DIR / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO_URL, b"")


def install(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Add the two documentation pages and their assets to an app created with docs_url=redoc_url=None."""
    app.mount(ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} — Swagger UI",
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_SCRIPT_URL, include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(redoc_script(), media_type="text/javascript; charset=utf-8")

    @app.get(redoc_url, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} — ReDoc",
            redoc_js_url=REDOC_SCRIPT_URL,
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
