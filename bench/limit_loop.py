"""The physical limit of the morning peak on this schema: a bare psycopg loop doing exactly the
writes the delivery pipeline does per prompt, with nothing else (no Django, no Celery, no
checks it can do without).

Per batch, in each process: claim (``SELECT ... FOR UPDATE SKIP LOCKED`` + ``UPDATE`` to
claimed, commit); the inbox rows and their deliveries (one ``INSERT ... SELECT`` and one
multi-row insert, commit); for email, sub-batches of K: the previous sub-batch's results and
the next one's deliveries inserted as ``attempting`` in one statement that is its own
transaction (one round trip, as in the pipeline), then each message
rendered (a template with the recipient's two links substituted, one HMAC each) and handed to
a null backend; then the last results and the prompts settled ``sent`` (one commit).
``inbox_only``: claim, inbox rows, inbox deliveries, prompts settled. Table scans are off for
the session, as in the pipeline's fast path: every statement finds its rows by key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from base64 import urlsafe_b64encode

CLAIM = (
    "SELECT id FROM planner_scheduledprompt WHERE status = 'pending' AND due_at <= now() "
    "ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED"
)
MARK = (
    "UPDATE planner_scheduledprompt SET status = 'claimed', claim_token = %s, "
    "claimed_until = now() + interval '5 minutes', due_at = now() + interval '5 minutes' "
    "WHERE id = ANY(%s)"
)
INBOX = (
    "INSERT INTO planner_inboxmessage (client_id, prompt_id, break_id, category, text, "
    "delivered_at) SELECT client_id, id, break_id, category, text, now() "
    "FROM planner_scheduledprompt WHERE id = ANY(%s)"
)
INBOX_DELIVERIES = (
    "INSERT INTO planner_delivery (prompt_id, channel, status, attempts, last_error, "
    "provider_id, message_id, created_at, attempted_at, sent_at) "
    "SELECT id, 'inbox', 'sent', 1, '', '', '', now(), now(), now() "
    "FROM unnest(%s::bigint[]) AS id"
)
SENT = (
    "UPDATE planner_delivery AS d SET status = 'sent', provider_id = v.provider_id, "
    "sent_at = now() FROM unnest(%s::bigint[], %s::text[]) AS v(id, provider_id) "
    "WHERE d.id = v.id AND d.id = ANY(%s::bigint[])"
)
# The previous sub-batch's results stored (SENT, as a CTE) and the next one's deliveries
# inserted in one statement, as the pipeline does: its own transaction, one round trip.
ATTEMPTING = (
    f"WITH stored AS ({SENT}) "
    "INSERT INTO planner_delivery (id, prompt_id, channel, status, attempts, last_error, "
    "provider_id, message_id, created_at, attempted_at) "
    "SELECT s.id, s.prompt_id, 'email', 'attempting', 1, '', '', "
    "'<delivery-' || s.id || '.prompt-' || s.prompt_id || '@127.0.0.1>', now(), now() "
    "FROM (SELECT nextval((SELECT pg_get_serial_sequence('planner_delivery', 'id'))::regclass) "
    "AS id, prompt_id FROM unnest(%s::bigint[]) AS prompt_id) AS s "
    "RETURNING id, prompt_id, message_id"
)
# (The sequence looked up once a statement, as the pipeline does, not once a row.)
SETTLE = (
    "UPDATE planner_scheduledprompt SET status = 'sent', sent_at = now(), finished_at = now(), "
    "claim_token = NULL, claimed_until = NULL, attempts = attempts + 1 WHERE id = ANY(%s)"
)
TEMPLATE = (
    "You have a new message in Between.\n\nOpen it here (the link works once, for 24 hours):"
    "\n{link}\n\nBetween is not an emergency service.\n\nStop these emails: {unsubscribe}\n"
)


def _link(mac: hmac.HMAC, user_id: int) -> str:
    value = f"{urlsafe_b64encode(f'u{user_id}n{secrets.token_urlsafe(12)}'.encode()).decode()}"
    value += f":{int(time.time()):x}"
    h = mac.copy()
    h.update(value.encode())
    return f"http://127.0.0.1:8000/l/inbox/{value}:{urlsafe_b64encode(h.digest()).decode()}/"


def run(url: str, batch: int, attempt_batch: int, inbox_only: bool, barrier, out) -> None:
    import psycopg

    mac = hmac.new(hashlib.sha256(b"bench-limit-loop").digest(), digestmod=hashlib.sha256)
    with psycopg.connect(url) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.commit()
        barrier.wait()
        total = 0
        while True:
            ids = [r[0] for r in conn.execute(CLAIM, (batch,), prepare=True).fetchall()]
            if not ids:
                conn.commit()
                break
            conn.execute(MARK, (uuid.uuid4(), ids), prepare=True)
            conn.commit()
            conn.execute(INBOX, (ids,), prepare=True)
            conn.execute(INBOX_DELIVERIES, (ids,), prepare=True)
            conn.commit()
            if not inbox_only:
                sent: list[tuple[int, str]] = []
                conn.autocommit = True  # each sub-batch's statement is its own transaction
                for start in range(0, len(ids), attempt_batch):
                    params = (*_sent_params(sent), ids[start : start + attempt_batch])
                    rows = conn.execute(ATTEMPTING, params, prepare=True).fetchall()
                    sent = []
                    for delivery_id, prompt_id, message_id in rows:
                        body = TEMPLATE.format(  # render; the null backend sends nothing
                            link=_link(mac, prompt_id), unsubscribe=_link(mac, prompt_id)
                        )
                        assert body
                        sent.append((delivery_id, message_id))
                conn.autocommit = False
                _store(conn, sent)
            conn.execute(SETTLE, (ids,), prepare=True)
            conn.commit()
            total += len(ids)
    out.put(total)


def _sent_params(sent: list[tuple[int, str]]) -> tuple[list[int], list[str], list[int]]:
    """SENT's parameters for these (delivery id, provider id) pairs."""
    ids = [d for d, _m in sent]
    return (ids, [m for _d, m in sent], ids)


def _store(conn, sent: list[tuple[int, str]]) -> None:
    if sent:
        conn.execute(SENT, _sent_params(sent), prepare=True)
