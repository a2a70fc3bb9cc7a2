"""epes domain."""
