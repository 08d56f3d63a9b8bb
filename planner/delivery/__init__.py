"""Getting prompts to clients: the outbox (``outbox``), the channels (``channels/``), signed
links (``links``), plain notifications to staff (``notify``), and the pages behind links and
the SMS webhook (``views``)."""
