"""The weekly digest: figures, a chart, and a report for the team lead (``model.py`` is the contract)."""
