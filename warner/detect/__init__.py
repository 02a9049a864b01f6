"""Detect: counting mentions per bucket, the storm detector, severity, and the detect stage.

No imports here: the detector (``detector``) is pure and must stay cheap to import.
"""
