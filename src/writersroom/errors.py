"""Errors the room reports to a person: each message says what went wrong and what to do."""


class WritersroomError(Exception):
    """An error with a message fit for the command line."""


class ConfigError(WritersroomError):
    """The project's configuration, a model name or a key is wrong or missing."""


class InputError(WritersroomError):
    """A premise, a decision or an edited draft is not acceptable."""


class Conflict(InputError):
    """The decision was made for a checkpoint that is no longer the one waiting."""


class ModelError(WritersroomError):
    """An agent's model failed: unreachable, refused, or kept answering badly."""

    def __init__(self, agent: str, model: str, problem: str) -> None:
        super().__init__(f"{agent} ({model}): {problem}")
        self.agent = agent
        self.model = model


class AnswerError(ModelError):
    """An agent's model was reached but answered nothing usable in all its attempts."""


class Busy(Conflict):
    """Another process is running this project's room (see `writersroom.room.runlock`)."""
