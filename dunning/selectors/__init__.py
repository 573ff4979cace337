"""Read functions: set-based queries that turn rows into the decision core's facts."""
