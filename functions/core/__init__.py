"""What every handler shares: settings, logging, errors, clock, Firestore access,
token crypto, notifications. Modules here import their heavy SDKs lazily."""
