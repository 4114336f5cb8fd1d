"""The catalog browser: the regulation tree with zh/en text, search, and the evidence each item asks for."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import HTMLResponse

from brokersec.catalog import builtin_versions, load_catalog_ref
from brokersec.catalog.models import Catalog, Item
from brokersec.web.deps import signed_in
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(signed_in)])


def _matching(catalog: Catalog, q: str) -> set[str]:
    """Ids to show for a search: hits and their ancestors (so the tree keeps its shape)."""
    needle = q.lower().strip()
    hits: set[str] = set()
    for item in catalog:
        hay = " ".join(x or "" for x in (item.id, item.title_zh, item.title_en, item.text_zh, item.text_en)).lower()
        if needle in hay:
            hits.add(item.id)
            hits.update(a.id for a in catalog.ancestors(item.id))
    return hits


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, q: str = "", version: str | None = None) -> HTMLResponse:
    if version is not None and version not in builtin_versions():
        raise HTTPException(404, f"unknown catalog version {version!r}")
    catalog = load_catalog_ref(version)
    shown = _matching(catalog, q) if q else set(catalog.items)
    items: list[Item] = [i for i in catalog if i.id in shown]
    template = "catalog_tree.html" if request.headers.get("hx-request") else "catalog.html"
    return render(
        request,
        template,
        catalog=catalog,
        items=items,
        q=q,
        hits=sum(1 for i in items if i.assessable),
        versions=builtin_versions(),
    )


@router.get("/catalog/{item_id}", response_class=HTMLResponse)
def catalog_item(request: Request, item_id: str, version: str | None = None) -> HTMLResponse:
    catalog = load_catalog_ref(version if version in builtin_versions() else None)
    if item_id not in catalog:
        raise HTTPException(404, f"no item {item_id!r}")
    return render(
        request,
        "catalog_item.html",
        catalog=catalog,
        item=catalog.get(item_id),
        ancestors=catalog.ancestors(item_id),
    )
