"""brokersec — the TWSE 「建立證券商資通安全檢查機制」 as software.

The package is layered: ``catalog`` (the regulation as data), ``profile``, ``scoping`` and
``calendar`` form a pure core that does no I/O beyond reading YAML it is handed; ``cli`` is a thin
adapter on top. See docs/architecture.md.
"""

__version__ = "0.1.0"
