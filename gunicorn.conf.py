"""gunicorn's settings for Between (read from the working directory by `gunicorn core.wsgi`).

Only what Between needs of it: access lines, when switched on (``--access-logfile -``), go
through a logger that scrubs signed-link tokens from paths, queries and the Referer
(core/logscrub.py). Everything else is given on the command line (docs/operations.md).
"""

logger_class = "core.logscrub.ScrubbingGunicornLogger"
