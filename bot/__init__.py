"""The AMO assistant's own Python package: NLU components, dialogue helpers, tools."""
