"""Voice: pages as phone calls that speak the page and take "press 1" as an acknowledgement.

``config.py`` (``notify.voice``), ``texts.py`` (what is said, German and English),
``twiml.py``, the providers (``twilio.py``, ``hook.py``, ``console.py``; ``channel.py`` picks one)
and ``inbound.py`` (the signed key-press routes, redeeming the same ack codes as SMS replies).
"""
