"""The review room: a web page to read, compare and decide the drafts at checkpoints.

`writersroom serve` starts it (see `serve.py`); `app.create_app` builds the FastAPI app.
"""
