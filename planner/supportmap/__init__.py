"""The support map: the client's real supports, the needs each meets and when it is there;
the prompts quote it on its days. Also what the client's feedback teaches the schedule."""
