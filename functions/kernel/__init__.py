"""What every part of postr stands on: clock, log, settings and secrets, the Firestore, Storage and
Cloud Tasks clients, crypto, the error family, the collections declaration, the profile, plans,
notices and signed URLs. It imports nothing of postr's beyond itself."""
