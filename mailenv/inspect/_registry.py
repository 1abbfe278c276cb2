"""What Inspect loads through our `inspect_ai` entry point: the task and the offline model.

Inspect imports this module when it looks for `mailenv/…` names (`inspect eval
mailenv/replacement_threat`) or for a model provider it does not know (`--model
mailenv-scripted/blackmailer`); importing it registers both.
"""

from inspect_ai.model import ModelAPI, modelapi

from mailenv.inspect.scripted import PROVIDER
from mailenv.inspect.task import replacement_threat


@modelapi(name=PROVIDER)
def scripted() -> type[ModelAPI]:
    """The offline provider, `--model mailenv-scripted/NAME` (see `mailenv.inspect.scripted`)."""
    from mailenv.inspect.scripted import ScriptedModel

    return ScriptedModel


__all__ = ["replacement_threat", "scripted"]
