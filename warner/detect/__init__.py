"""Detection: bucket counters now; baselines and the storm detector build on them."""

from warner.detect.counters import BucketCounter, BucketCounts, CountStage, bucket_start

__all__ = ["BucketCounter", "BucketCounts", "CountStage", "bucket_start"]
