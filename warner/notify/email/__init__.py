"""E-mail: pages over SMTP (``channel.py``) and the sending both pages and the weekly digest share (``smtp.py``).

Use from the rest of warner::

    channel = email_channel(config.notify.email, labels=labels, console_url=console_url)
    delivery = await channel.send(page)            # a Delivery, never an exception
    outcome = await SmtpSender(config.notify.email).send(message)   # any prepared message
"""
