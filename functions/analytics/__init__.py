"""Analytics: the collection schedule, the collector, the metric store and insights."""
