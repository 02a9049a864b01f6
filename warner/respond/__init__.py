"""Respond stage: playbooks, matching an incident to them, and the first public answers.

No imports here: the config section (``config``) is light, the rest loads Jinja2 and scikit-learn.
"""
