"""The analysts' export of the whole history (`entrant_dataset`), its job and weekly schedule."""
