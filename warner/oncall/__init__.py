"""Who is on call, and how an incident escalates until somebody answers."""

# oncall/config.py builds on warner.config's base types while Config embeds OncallConfig:
# load warner.config first, whichever of the two a caller imports first.
import warner.config  # noqa: F401
