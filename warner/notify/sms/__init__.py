"""SMS: config, the GSM-7 text of a page, the HTTP-gateway and Twilio channels, and replies to pages.

Replies ("OK 482193") are ``inbound.py``'s webhooks, checked against ``ack_codes.py`` and
``lockout.py``; they are imported where the pager mounts them (``warner/paging.py``).
"""
