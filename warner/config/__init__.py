"""warner's configuration, one typed model read from a YAML file and the environment.

- ``common``: the shared types (``Section``, ``Duration``, ``Slug``, ``TimeZoneName``) each package's own
  ``config.py`` builds its section from;
- ``root``: the ``Config`` that composes the sections (imported only by cli, service and the commands);
- ``loading``: reading a file, with every problem located by file, line and key;
- ``secrets``: what the config names but the environment must hold.

Deliberately empty: see ``root`` for why the root model does not live here.
"""
