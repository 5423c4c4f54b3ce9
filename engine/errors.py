"""One error style for the engine: a bad input is an ``EngineError`` (exit 2, one line)."""


class EngineError(Exception):
    """Bad input (config, data set, model folder): the message is one line for the person who
    reads it, naming what was expected and what came. The CLIs print it, emit an ``error``
    event and exit with status 2."""


def expected(what: str, name: str, value) -> EngineError:
    """``Expected <what> for <name> but received <value> of type <type>`` (sharp's wording)."""
    return EngineError(f"Expected {what} for {name} but received {value!r} of type {type(value).__name__}")
