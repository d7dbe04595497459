"""Supervision of a running bot (decision 0070): health, metrics, structured logs.

Messenger-neutral: the front ends feed the metrics (updates handled and failed), the
sweep's listeners feed the reminders' ones, and ``http.serve`` answers ``/healthz`` and
``/metrics`` on the bot's own event loop.
"""
