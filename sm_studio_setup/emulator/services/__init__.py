"""The project's additions to moto, one module or package per AWS service, as moto lays out
its own services: each exposes an idempotent ``install()`` that patches moto's response and
backend classes (``..core.extensions`` calls them all).

A service may use the cross-cutting decision point (``..core.access``) but never another
service, nor the server.
"""
