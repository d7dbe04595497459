"""The Discord front end (discord.py): slash commands, views, modals over the same services.

Only this package imports ``discord``. Its offline stand-in for tests and the sandbox is
:mod:`handlers.discord.offline`.
"""
