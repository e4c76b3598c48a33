"""writersroom: a writers' room of AI agents for vertical short dramas."""

__version__ = "0.1.0"
