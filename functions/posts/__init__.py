"""Posts: their model and views, content per network, media checks, times and series, the publish
tasks kept in step with each post, and the publisher that sends each target exactly once."""
