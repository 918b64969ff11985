"""/who: people and organisations across articles — lookup, cards, identities."""
