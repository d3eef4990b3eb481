"""Privacy rights: export, deletion, the request register, policy versions, support messages,
operators, and the retention purge."""
