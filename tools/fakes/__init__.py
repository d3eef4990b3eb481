"""Loopback stand-ins for the outside services postr talks to. Each imitates the
documented behaviour of the real API (paths, bodies, error shapes), records
what it received, and can be told to fail; nothing here is postr's own logic."""
