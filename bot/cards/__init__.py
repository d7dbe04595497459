"""How tickets read in a message, in one language, on any messenger.

Texts are in the catalogs' markup (a small HTML subset, user text escaped); buttons are
neutral :class:`bot.services.delivery.Button` rows that each front end renders its way.
"""
