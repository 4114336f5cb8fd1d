"""The web application: FastAPI + server-rendered Jinja2 + htmx, zh-TW first, English second."""
