"""pne-bot: chat and ticket bot of the Plan numérique à l'école (Saint-Étienne Métropole)."""
