"""The AI models postr offers, as "<provider>:<model>" ids. The AI feature owns
this catalogue (and its price table); plans list which of these each plan gets."""

MODEL_IDS: tuple[str, ...] = ("openai:gpt-4o-mini", "openai:gpt-4o", "xai:grok-3-mini", "xai:grok-3")
