"""The one-shot commands of ``warner`` (detect, digest, oncall, respond, score, sources), one module each.

They sit in the composition layer beside ``cli`` and ``service``: a command may import any stage
and the root config, and no stage imports a command. Each loads its config the same way,
``load_for_command`` (``commands/loading.py``), so every command registers the config's secrets
with the log redactor before anything can log.
"""
