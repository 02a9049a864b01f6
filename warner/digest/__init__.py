"""The weekly digest: figures, a chart, and a report for the team lead (``model.py`` is the contract)."""

# digest/config.py builds on warner.config's base types while Config embeds DigestConfig:
# load warner.config first, whichever of the two a caller imports first.
import warner.config  # noqa: F401
