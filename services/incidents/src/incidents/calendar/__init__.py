"""Vietnam's working-day calendar: weekends, Labour Code holidays and announced swaps."""
