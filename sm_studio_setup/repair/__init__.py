"""Repair, the pure part: plan the smallest change to a role, and render it for an admin.

No boto3 and no I/O here; ``sm_studio_setup.service.fix`` reads, writes and verifies.
"""
