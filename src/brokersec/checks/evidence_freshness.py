"""Evidence freshness: is the newest document for an item younger than the item allows?

Items such as the yearly risk assessment (CC-11000 (3)) carry ``max_evidence_age_days`` in the
catalog. The bundle lists the documents a person uploaded with their dates; a document older than
the limit on ``as_of`` means the yearly (or half-yearly) work was not done again in time.
"""

from __future__ import annotations

from collections.abc import Iterator

from brokersec.checks.bundle import Bundle, Document
from brokersec.checks.engine import Check, Context, Status, Verdict, register


def _judge(ctx: Context) -> Iterator[Verdict]:
    from brokersec.checks.mapping import load_mapping

    mapped = set(load_mapping(ctx.catalog).items_for("evidence_freshness.documents"))
    by_item: dict[str, list[Document]] = {}
    for doc in ctx.bundle.documents:
        by_item.setdefault(doc.item, []).append(doc)
    for item_id, docs in by_item.items():
        limit = ctx.catalog.get(item_id).max_evidence_age_days if item_id in ctx.catalog else None
        if item_id not in mapped or limit is None:
            yield Verdict(
                item_id,
                Status.NOT_APPLICABLE,
                f"{item_id} has no maximum evidence age in {ctx.catalog.version}",
                items=(item_id,),
            )
            continue
        missing = [d for d in docs if d.file is not None and not d.file.is_file()]
        if missing:
            yield Verdict(
                item_id,
                Status.ERROR,
                "document listed in bundle.yaml is not in the bundle",
                [{"file": str(d.file), "line": d.line, "title": d.title} for d in missing],
                len(missing),
                items=(item_id,),
            )
            continue
        future = [d for d in docs if d.date > ctx.as_of]
        if future:
            yield Verdict(
                item_id,
                Status.ERROR,
                f"document dated after as_of ({ctx.as_of})",
                [{"title": d.title, "date": d.date.isoformat(), "line": d.line} for d in future],
                len(future),
                items=(item_id,),
            )
            continue
        newest = max(docs, key=lambda d: d.date)
        age = (ctx.as_of - newest.date).days
        detail = {"title": newest.title, "date": newest.date.isoformat(), "age_days": age, "max_age_days": limit}
        if age > limit:
            yield Verdict(
                item_id,
                Status.FAIL,
                f"newest evidence is {age} days old; {item_id} allows {limit}",
                [{**detail, "fix": "redo the periodic work and upload the new document"}],
                1,
                items=(item_id,),
            )
        else:
            yield Verdict(
                item_id, Status.PASS, f"newest evidence is {age} days old (≤ {limit})", [detail], 0, items=(item_id,)
            )


def _has_documents(bundle: Bundle) -> bool:
    return bool(bundle.documents)


CHECKS = [
    register(
        Check(
            "evidence_freshness.documents",
            "佐證資料時效",
            "Evidence freshness",
            ("documents",),
            "各項目最新佐證資料之日期未逾該項目允許之天數（如風險評估 366 天）",
            "the newest document for each item is no older than the item allows (e.g. 366 days for the risk assessment)",
            _judge,
            applies=_has_documents,
        )
    ),
]
