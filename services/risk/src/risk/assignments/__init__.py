"""Which officers supervise which EPEs: a projection of the access service's assignments."""
