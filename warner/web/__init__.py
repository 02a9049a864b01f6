"""The web console for responders: incidents, the storm's curve, the posts, drafts, who is on call.

Server-rendered (Jinja2) with a little vendored JavaScript under ``static/``; every text in
German and English (``texts.py``). Sign-in is by single-use links (``sessions.py``); every page
needs a session and every action a CSRF token (``app.py``).
"""
