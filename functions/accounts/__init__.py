"""Connected accounts: their store (sealed tokens), the OAuth apps, connecting, refreshing,
disconnecting, calling a network as an account, and key rotation of what is sealed."""
