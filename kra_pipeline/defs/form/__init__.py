"""Point-in-time form of each race day's entrants (`entrant_form`), from the store's results."""
